"""Finite-volume grids of the local engine, built per patient and stacked into a batch.

Every patient gets ``N_NODES`` cells (dummy cells pad shorter grids).  Quantities are per
unit *skin* area so that planar (lumbar, hand) and radial (limbs, joints) geometries
share one kernel:

* planar: cell "volume" = thickness, conductance ``k / distance``;
* radial (outer radius ``R``): volume ``(r_o² - r_i²) / (2 R)``, conductance of a shell
  ``k / (R ln(r_o / r_i))``.

Cells are uniform inside skin and fat and grow geometrically with depth inside deeper
layers (finest next to the fat, where the cold front passes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cryotx.physics.tissues import BLOOD, SITE_GEOMETRY, SKIN_THICKNESS_M, TISSUES, Layer
from cryotx.physics.tissues import LATENT_HEAT_WATER_J_PER_KG as _L

__all__ = ["N_NODES", "Grid", "build_grid", "stack_grids"]

N_SKIN = 4
N_FAT = 8
N_NODES = 32
GROWTH = 1.12  # ratio of successive cell sizes in deep layers

# vasoconstriction weight per tissue (fraction of perfusion that cold constriction can
# remove): skin arterioles close almost fully, deeper beds partly (see docs/physics.md)
VC_WEIGHT = {"skin": 0.8, "fat": 0.8, "muscle": 0.8, "joint": 0.8, "bone": 0.0, "synovial": 0.0}


@dataclass(frozen=True)
class Grid:
    """One patient's grid (arrays of length ``N_NODES``, per unit skin area)."""

    cap_j_per_m2_k: np.ndarray
    latent_j_per_m2: np.ndarray
    perfusion_w_per_m2_k: np.ndarray
    metabolism_w_per_m2: np.ndarray
    vc_weight: np.ndarray
    face_conductance_w_per_m2_k: np.ndarray
    depth_m: np.ndarray
    surface_conductance_w_per_m2_k: float
    deep_conductance_w_per_m2_k: float
    n_valid: int
    layer_bounds_m: dict[str, tuple[float, float]]


def _cells(thickness_m: float, n: int, growth: float) -> np.ndarray:
    if growth == 1.0:
        return np.full(n, thickness_m / n)
    widths = growth ** np.arange(n)
    return thickness_m * widths / widths.sum()


def build_grid(
    site: str,
    *,
    fat_m: float,
    geometry: str | None = None,
    layers: tuple[Layer, ...] | None = None,
    lean_depth_m: float | None = None,
    core_boundary: bool | None = None,
    skin_m: float = SKIN_THICKNESS_M,
    n_nodes: int = N_NODES,
    growth: float = GROWTH,
) -> Grid:
    """Grid of a site for a given fat thickness (keyword overrides serve the tests)."""
    spec = SITE_GEOMETRY[site]
    geometry = geometry or spec.geometry
    layers = spec.layers if layers is None else layers
    lean = spec.lean_depth_m if lean_depth_m is None else lean_depth_m
    core_boundary = spec.core_boundary if core_boundary is None else core_boundary
    widths: list[np.ndarray] = []
    names: list[str] = []
    bounds: dict[str, tuple[float, float]] = {}
    top = 0.0
    plan: list[tuple[str, float, int, float]] = []
    if skin_m > 0:
        plan.append(("skin", skin_m, N_SKIN, 1.0))
    if fat_m > 0:
        plan.append(("fat", fat_m, N_FAT, 1.0))
    fixed = sum(layer.thickness_m or 0.0 for layer in layers)
    for layer in layers:
        thick = layer.thickness_m if layer.thickness_m is not None else lean - fixed
        if thick <= 0:
            raise ValueError(f"layer {layer.tissue} of {site} has no room")
        ratio = growth if layer.thickness_m is None or layer.n_cells > 10 else 1.0
        plan.append((layer.tissue, thick, layer.n_cells, ratio))
    for tissue, thick, n, ratio in plan:
        widths.append(_cells(thick, n, ratio))
        names.extend([tissue] * n)
        key = tissue if tissue not in bounds else f"{tissue}_2"
        bounds[key] = (top, top + thick)
        top += thick
    w = np.concatenate(widths)
    n_valid = w.size
    if n_valid > n_nodes:
        raise ValueError(f"{n_valid} cells exceed n_nodes={n_nodes}")
    faces = np.concatenate([[0.0], np.cumsum(w)])  # depth of faces from the surface
    centres = 0.5 * (faces[:-1] + faces[1:])
    total = faces[-1]
    props = [TISSUES[name] for name in names]
    rho_c = np.array([t.density_kg_per_m3 * t.specific_heat_j_per_kg_k for t in props])
    k = np.array([t.conductivity_w_per_m_k for t in props])
    omega = np.array([t.perfusion_per_s for t in props])
    met = np.array([t.metabolism_w_per_m3 for t in props])
    water = np.array([t.water_frac * t.density_kg_per_m3 for t in props])
    if geometry == "radial":
        radius = total
        r_faces = radius - faces  # decreasing inwards, last = 0
        r_centres = radius - centres
        volume = (r_faces[:-1] ** 2 - r_faces[1:] ** 2) / (2.0 * radius)

        def shell(k_w: float, r_out: float, r_in: float) -> float:
            return k_w / (radius * math.log(r_out / r_in))

        g_face = np.array(
            [
                1.0
                / (
                    1.0 / shell(k[i], r_centres[i], r_faces[i + 1])
                    + 1.0 / shell(k[i + 1], r_faces[i + 1], r_centres[i + 1])
                )
                for i in range(n_valid - 1)
            ]
        )
        g_surf = shell(k[0], radius, r_centres[0])
        g_deep = 0.0
    else:
        volume = w.copy()
        half = 0.5 * w
        g_face = 1.0 / (half[:-1] / k[:-1] + half[1:] / k[1:])
        g_surf = k[0] / half[0]
        g_deep = k[-1] / half[-1] if core_boundary else 0.0
    pad = n_nodes - n_valid
    rho_c_b = BLOOD.density_kg_per_m3 * BLOOD.specific_heat_j_per_kg_k

    def padded(values: np.ndarray, fill: float) -> np.ndarray:
        return np.concatenate([values, np.full(pad, fill)])

    vcw = np.array([VC_WEIGHT[name] for name in names])
    return Grid(
        cap_j_per_m2_k=padded(rho_c * volume, 1.0),
        latent_j_per_m2=padded(water * _L * volume, 0.0),
        perfusion_w_per_m2_k=padded(rho_c_b * omega * volume, 1.0),
        metabolism_w_per_m2=padded(met * volume, 0.0),
        vc_weight=padded(vcw, 0.0),
        face_conductance_w_per_m2_k=np.concatenate([g_face, np.zeros(pad + 1)]),
        depth_m=padded(centres, np.inf),
        surface_conductance_w_per_m2_k=float(g_surf),
        deep_conductance_w_per_m2_k=float(g_deep),
        n_valid=n_valid,
        layer_bounds_m=bounds,
    )


def stack_grids(grids: list[Grid]) -> dict[str, np.ndarray]:
    """Batch arrays ``(n_patients, N_NODES)`` and ``(n_patients,)`` of a list of grids."""
    return {
        "cap": np.stack([g.cap_j_per_m2_k for g in grids]),
        "lat": np.stack([g.latent_j_per_m2 for g in grids]),
        "perf0": np.stack([g.perfusion_w_per_m2_k for g in grids]),
        "met0": np.stack([g.metabolism_w_per_m2 for g in grids]),
        "vcw": np.stack([g.vc_weight for g in grids]),
        "gface": np.stack([g.face_conductance_w_per_m2_k for g in grids]),
        "depth": np.stack([g.depth_m for g in grids]),
        "gsurf": np.array([g.surface_conductance_w_per_m2_k for g in grids]),
        "gdeep": np.array([g.deep_conductance_w_per_m2_k for g in grids]),
        "n_valid": np.array([g.n_valid for g in grids], dtype=np.int64),
    }
