"""Sizing the segmented body and building its radial grid, batched over bodies.

Each segment is a cylinder (head: a sphere) whose surface area is the DuBois body
surface area [DuBois1916]_ times the JOS-3 share of the segment [Takahashi2021]_ and whose
volume is the body mass times the Dempster mass fraction [Winter2009]_ over the body
density of [Siri1961]_.  The equivalent radius keeps both: ``R = 2V/A`` (cylinder,
whole or sector) or ``R = 3V/A`` (sphere).  From the surface inwards: skin, subcutaneous
fat, muscle and a core (bone in limbs and neck; organs in head and trunk, given muscle's
thermal properties); tissue properties are the local engine's table
(:mod:`cryotx.physics.tissues`, [Hasgall2022]_).  Organ perfusion and the organs' share
of the basal metabolic rate follow JOS-3; the whole-body basal rate is
[RozaShizgal1984]_'s.

The grid is vertex-centred: ``N_NODES`` nodes from the axis (node 0) to the skin surface
(node ``N_NODES - 1``), with nodes on every layer boundary, so each conductance lies in
one tissue and each node's capacity sums the half cells on both sides.

References
----------
.. [Siri1961] W. E. Siri, "Body composition from fluid spaces and density: analysis of
   methods," in Techniques for Measuring Body Composition, National Academy of Sciences,
   1961, pp. 223-244.
.. [Nadler1962] S. B. Nadler, J. U. Hidalgo, T. Bloch, "Prediction of blood volume in
   normal human adults," Surgery, vol. 51, pp. 224-232, 1962.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryotx.errors import InputError
from cryotx.physics import tissues
from cryotx.physics.wholebody import regulation as reg
from cryotx.physics.wholebody.segments import (
    CORE_KIND,
    CORE_RADIUS_FRAC,
    MASS_FRAC,
    N_SEGMENTS,
    SEGMENT_INDEX,
    SEGMENTS,
    SPHERE,
)

__all__ = [
    "CELLS_PER_LAYER",
    "LAYER_NAMES",
    "N_NODES",
    "ORGAN_FLOW_SEGMENTS",
    "TRUNK_POOL_SEGMENTS",
    "BodyArrays",
    "BodySpec",
    "build_bodies",
]

LAYER_NAMES = ("core", "muscle", "fat", "skin")
CELLS_PER_LAYER = (2, 4, 3, 2)
N_NODES = 1 + sum(CELLS_PER_LAYER)

# Relative subcutaneous fat thickness over scalp, hands and feet compared with the rest of
# the body. ASSUMPTION (thin subcutaneous fat there; no general published ratio found); the
# whole-body mean stays that of tissues.estimated_fat_m.
_FAT_WEIGHT = np.ones(N_SEGMENTS)
for _name in ("head", "hand", "foot"):
    _FAT_WEIGHT[SEGMENT_INDEX[_name]] = 0.3
_MAX_FAT_FRAC_OF_RADIUS = 0.45  # keep at least some muscle and core in every segment
_LITRE_PER_H_TO_M3_PER_S = 1e-3 / 3600.0

#: Segments whose JOS-3 core flow and core metabolism go to the organ core alone; the
#: others spread theirs over core and muscle by volume.  Default: the organ cores (head,
#: trunk).  JOS-3 [Takahashi2021]_ gives muscle and fat layers to head and pelvis only,
#: so its chest and back "core" is all the tissue inside the skin; ``("head", "abdomen",
#: "lumbar")`` is that reading.  It was tried for gagnon2010 and not adopted because it
#: worsens the thigh-muscle rows (docs/whole_body.md; ``bench_whole_body.py
#: --trunk-sensitivity`` prints the readings).
ORGAN_FLOW_SEGMENTS: tuple[str, ...] = ("head", "chest", "back", "abdomen", "lumbar")

#: Trunk segments whose organ cores share JOS-3's trunk core flow and core metabolism
#: by core volume.  The trunk here is cut as Dempster cuts it ([Winter2009]_: thorax
#: for chest and back, abdomen + pelvis for abdomen and lumbar), JOS-3's is not: its
#: chest and back hold 65 of the 79 kJ/K of trunk core of its standard body, 177 of the
#: trunk's 196 L/h of basal core flow and 54 % of whole-body basal metabolism, so they
#: hold the abdominal organs (gut, liver, kidneys) that the Dempster abdomen holds here.
#: Mapping JOS-3's pelvis onto abdomen + lumbar left, for a 1.72 m, 68 kg man, 9 L/h for
#: each 17 kJ/K of visceral core (a 26-minute lag behind the blood), where JOS-3's own
#: pelvic core lags by 12 minutes.
#: Sharing by volume keeps the trunk totals of [Takahashi2021]_ and assumes nothing about
#: where inside the trunk the organs sit.  Empty: the segment-by-segment mapping
#: (``bench_whole_body.py --trunk-sensitivity`` prints the readings; docs/whole_body.md).
TRUNK_POOL_SEGMENTS: tuple[str, ...] = ("chest", "back", "abdomen", "lumbar")


def _pool_over_trunk(values: np.ndarray, core_tot: np.ndarray) -> np.ndarray:
    """``values`` (body, segment) with the pooled trunk's total shared by core volume."""
    pool = np.isin(np.array(SEGMENTS), TRUNK_POOL_SEGMENTS) & np.isin(
        np.array(SEGMENTS), ORGAN_FLOW_SEGMENTS
    )
    out = np.array(np.broadcast_to(values, core_tot.shape))
    if pool.any():
        volume = core_tot[:, pool]
        out[:, pool] = out[:, pool].sum(1, keepdims=True) * volume / volume.sum(1, keepdims=True)
    return out


@dataclass(frozen=True)
class BodySpec:
    """One person: sex, anthropometry, optional measured fat per segment [m] and optional
    measured whole-body fat [%] (else estimated from BMI, age and sex)."""

    male: bool
    age_y: float
    height_m: float
    mass_kg: float
    fat_m: dict[str, float]
    fat_percent: float | None = None


@dataclass(frozen=True)
class BodyArrays:
    """Node-level arrays of a batch of bodies; first axis = body.

    Shapes: ``(n, N_SEGMENTS, N_NODES)`` for node quantities, ``(n, N_SEGMENTS,
    N_NODES - 1)`` for conductances, ``(n, N_SEGMENTS)`` for segment quantities.
    """

    radius_m: np.ndarray  # node radii from the axis [m]
    outer_radius_m: np.ndarray  # (n, seg) [m]
    area_m2: np.ndarray  # (n, seg) skin area [m²]
    capacity_j_per_k: np.ndarray
    latent_j: np.ndarray  # latent heat of the node's freezable water [J]
    conductance_w_per_k: np.ndarray
    perfusion_w_per_k: np.ndarray  # basal, non-skin tissues [W/K]
    skin_perfusion_w_per_k: np.ndarray  # basal skin share [W/K] (regulated)
    metabolism_w: np.ndarray  # basal [W]
    muscle_share: np.ndarray  # share of the segment's muscle volume per node [-]
    fat_m: np.ndarray  # (n, seg)
    blood_capacity_j_per_k: np.ndarray  # (n,)
    bmr_w: np.ndarray  # (n,)
    flow_scale: np.ndarray  # (n,) BSA / JOS-3 standard BSA [-]
    tissue_heat_j_per_k: np.ndarray  # (n,) total heat capacity incl. blood [J/K]


def _body_density_kg_per_m3(fat_frac: np.ndarray) -> np.ndarray:
    """Two-compartment body density (fat 900, fat-free 1100 kg/m³) [Siri1961]_."""
    return 1.0 / (fat_frac / 900.0 + (1.0 - fat_frac) / 1100.0)


def _blood_volume_m3(male: np.ndarray, height_m: np.ndarray, mass_kg: np.ndarray) -> np.ndarray:
    litres = np.where(
        male,
        0.3669 * height_m**3 + 0.03219 * mass_kg + 0.6041,  # [Nadler1962]
        0.3561 * height_m**3 + 0.03308 * mass_kg + 0.1833,  # [Nadler1962]
    )
    return litres * 1e-3


def _shell(radius: np.ndarray, inner: np.ndarray, outer: np.ndarray, power: np.ndarray):
    """Fraction of a segment's volume between two radii, for profiles r^(power)."""
    return (outer / radius) ** power - (inner / radius) ** power


def build_bodies(
    specs: list[BodySpec],
    *,
    cells_per_layer: tuple[int, int, int, int] = CELLS_PER_LAYER,
    field_prefixes: list[str] | None = None,
) -> BodyArrays:
    """Size every body and build its grid.

    Parameters
    ----------
    specs : list of BodySpec
        One per body (batch order).
    cells_per_layer : tuple of 4 int
        Cells in core, muscle, fat and skin (grid refinement studies).
    field_prefixes : list of str, optional
        Prefix of each body's field names in refusals (e.g. ``"1."`` in a batch).

    Raises
    ------
    InputError
        When a measured fat layer is thicker than 45 % of its segment's radius.

    Returns
    -------
    BodyArrays
        Node arrays, first axis = body.
    """
    n = len(specs)
    male = np.array([s.male for s in specs])
    height = np.array([s.height_m for s in specs])
    mass = np.array([s.mass_kg for s in specs])
    age = np.array([s.age_y for s in specs])
    bsa = 0.007184 * mass**0.425 * (100.0 * height) ** 0.725  # [DuBois1916]
    fat_frac = np.array(
        [
            tissues.fat_fraction(
                sex="male" if s.male else "female",
                age_y=s.age_y,
                height_m=s.height_m,
                mass_kg=s.mass_kg,
                measured_percent=s.fat_percent,
            )
            for s in specs
        ]
    )
    area = bsa[:, None] * reg.LOCAL_BSA_FRAC[None, :]
    volume = mass[:, None] * MASS_FRAC[None, :] / _body_density_kg_per_m3(fat_frac)[:, None]
    sphere = SPHERE[None, :]
    radius = np.where(sphere, 3.0, 2.0) * volume / area
    power_v = np.where(sphere, 3.0, 2.0)  # volume ~ r^power_v, face area ~ r^(power_v-1)

    # Subcutaneous fat: whole-body mean of the local engine, redistributed by _FAT_WEIGHT.
    mean_fat = np.array(
        [
            tissues.estimated_fat_m(
                sex="male" if s.male else "female",
                age_y=s.age_y,
                height_m=s.height_m,
                mass_kg=s.mass_kg,
                measured_percent=s.fat_percent,
            )
            for s in specs
        ]
    )
    weight = _FAT_WEIGHT[None, :] * area
    fat = (
        mean_fat[:, None]
        * _FAT_WEIGHT[None, :]
        * area.sum(1, keepdims=True)
        / weight.sum(1, keepdims=True)
    )
    for b, spec in enumerate(specs):
        for name, value in spec.fat_m.items():
            fat[b, SEGMENT_INDEX[name]] = value
    skin = tissues.SKIN_THICKNESS_M
    cap_m = _MAX_FAT_FRAC_OF_RADIUS * radius - skin
    for b, spec in enumerate(specs):
        for name, value in spec.fat_m.items():
            limit = cap_m[b, SEGMENT_INDEX[name]]
            if value > limit:
                prefix = field_prefixes[b] if field_prefixes else ""
                raise InputError(
                    f"{prefix}subject.fat_mm",
                    f"{value * 1e3:.1f} mm of fat is thicker than the {name} segment of this "
                    f"body allows ({limit * 1e3:.1f} mm)",
                )
    fat = np.minimum(fat, cap_m)  # estimated (not measured) fat on small segments

    r_fat_out = radius - skin
    r_muscle_out = r_fat_out - fat
    r_core_out = CORE_RADIUS_FRAC[None, :] * r_muscle_out
    bounds = [np.zeros_like(radius), r_core_out, r_muscle_out, r_fat_out, radius]
    n_nodes = 1 + sum(cells_per_layer)
    node_r = np.empty((n, N_SEGMENTS, n_nodes))
    node_layer = np.empty(n_nodes - 1, dtype=np.int64)  # layer of each cell
    j = 0
    for layer, cells in enumerate(cells_per_layer):
        for c in range(cells):
            node_r[:, :, j] = bounds[layer] + (bounds[layer + 1] - bounds[layer]) * c / cells
            node_layer[j] = layer
            j += 1
    node_r[:, :, -1] = radius

    skin_t, fat_t, muscle_t, _bone_t = (
        tissues.TISSUES[k] for k in ("skin", "fat", "muscle", "bone")
    )
    core_t = [
        tissues.TISSUES["muscle" if kind in ("brain", "viscera") else kind] for kind in CORE_KIND
    ]
    blood = tissues.BLOOD
    rho_c_blood = blood.density_kg_per_m3 * blood.specific_heat_j_per_kg_k

    def prop(layer: int, attr: str) -> np.ndarray:
        if layer == 0:
            return np.array([getattr(t, attr) for t in core_t])[None, :]
        tissue = (muscle_t, fat_t, skin_t)[layer - 1]
        return np.full((1, N_SEGMENTS), getattr(tissue, attr))

    cap = np.zeros((n, N_SEGMENTS, n_nodes))
    latent = np.zeros_like(cap)
    perf = np.zeros_like(cap)
    met = np.zeros_like(cap)
    cond = np.zeros((n, N_SEGMENTS, n_nodes - 1))
    muscle_vol = np.zeros_like(cap)
    fat_vol = np.zeros_like(cap)
    skin_vol = np.zeros_like(cap)
    core_vol_node = np.zeros_like(cap)
    for cell in range(n_nodes - 1):
        layer = int(node_layer[cell])
        r_in, r_out = node_r[:, :, cell], node_r[:, :, cell + 1]
        r_mid = 0.5 * (r_in + r_out)
        rho = prop(layer, "density_kg_per_m3")
        rho_c = rho * prop(layer, "specific_heat_j_per_kg_k")
        k = prop(layer, "conductivity_w_per_m_k")
        face = area * (r_mid / radius) ** (power_v - 1.0)
        cond[:, :, cell] = k * face / (r_out - r_in)
        for node, lo, hi in ((cell, r_in, r_mid), (cell + 1, r_mid, r_out)):
            vol = volume * _shell(radius, lo, hi, power_v)
            cap[:, :, node] += rho_c * vol
            latent[:, :, node] += (
                rho * prop(layer, "water_frac") * tissues.LATENT_HEAT_WATER_J_PER_KG * vol
            )
            if layer == 1:
                muscle_vol[:, :, node] += vol
            if layer == 2:
                fat_vol[:, :, node] += vol
            if layer == 0:
                core_vol_node[:, :, node] += vol
            if layer == 3:
                skin_vol[:, :, node] += vol

    flow_scale = bsa / reg.JOS3_STANDARD_BSA_M2
    to_w_per_k = flow_scale[:, None] * _LITRE_PER_H_TO_M3_PER_S * rho_c_blood
    # Non-skin perfusion: JOS-3 basal flows [Takahashi2021] (organ cores: core flow; limb and
    # neck cores are muscle + bone there, so their core flow goes to muscle and bone by
    # volume).  The IT'IS per-volume muscle perfusion would carry about twice the resting
    # core-to-skin heat flow without JOS-3's countercurrent exchange (docs/whole_body.md).
    # The trunk's core flow and core metabolism are shared by volume (TRUNK_POOL_SEGMENTS).
    core_tot = core_vol_node.sum(2)
    core_flow = _pool_over_trunk(reg.BFB_CORE_L_PER_H[None, :] * to_w_per_k, core_tot)
    muscle_flow = reg.BFB_MUSCLE_L_PER_H[None, :] * to_w_per_k
    fat_flow = reg.BFB_FAT_L_PER_H[None, :] * to_w_per_k
    muscle_tot = muscle_vol.sum(2)
    lean = core_vol_node + muscle_vol
    organ = np.isin(np.array(SEGMENTS), ORGAN_FLOW_SEGMENTS)[None, :, None]
    perf += np.where(organ, core_flow[:, :, None] * core_vol_node / core_tot[:, :, None], 0.0)
    perf += np.where(organ, 0.0, core_flow[:, :, None] * lean / lean.sum(2, keepdims=True))
    perf += muscle_flow[:, :, None] * muscle_vol / muscle_tot[:, :, None]
    perf += fat_flow[:, :, None] * fat_vol / fat_vol.sum(2, keepdims=True)
    # Basal skin flow: JOS-3's [Takahashi2021], by skin volume; the regulation multiplies it.
    # (Not the local engine's resting skin perfusion, a tenth of the thermoneutral value:
    # that fraction stands for the constriction of a resting limb in a cool room, which
    # the whole-body regulation produces itself; docs/whole_body.md.)
    skin_flow = reg.BFB_SKIN_L_PER_H[None, :] * to_w_per_k
    perf_skin = skin_flow[:, :, None] * skin_vol / skin_vol.sum(2, keepdims=True)
    # Basal metabolism: [RozaShizgal1984] whole-body rate, spread as in JOS-3 [Takahashi2021]
    # (organ cores; limb and neck cores over muscle and bone; muscle, fat, skin layers).
    bmr = reg.basal_metabolic_rate_w(male, mass_kg=mass, height_m=height, age_y=age)
    per_layer = (
        (
            _pool_over_trunk(reg.MET_CORE_FRAC[None, :], core_tot),
            np.where(organ, core_vol_node, lean),
        ),
        (reg.MET_MUSCLE_FRAC[None, :], muscle_vol),
        (reg.MET_FAT_FRAC[None, :], fat_vol),
        (reg.MET_SKIN_FRAC[None, :], skin_vol),
    )
    met = np.zeros_like(cap)
    for frac, vol_node in per_layer:
        share = vol_node / vol_node.sum(2, keepdims=True)
        met += bmr[:, None, None] * frac[:, :, None] * share
    muscle_share = muscle_vol / muscle_tot[:, :, None]
    blood_cap = _blood_volume_m3(male, height, mass) * rho_c_blood
    return BodyArrays(
        radius_m=node_r,
        outer_radius_m=radius,
        area_m2=area,
        capacity_j_per_k=cap,
        latent_j=latent,
        conductance_w_per_k=cond,
        perfusion_w_per_k=perf,
        skin_perfusion_w_per_k=perf_skin,
        metabolism_w=met,
        muscle_share=muscle_share,
        fat_m=fat,
        blood_capacity_j_per_k=blood_cap,
        bmr_w=bmr,
        flow_scale=flow_scale,
        tissue_heat_j_per_k=cap.sum((1, 2)) + blood_cap,
    )
