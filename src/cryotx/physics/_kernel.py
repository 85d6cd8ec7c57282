"""Time loop of the local engine: implicit Pennes bioheat on a 1-D finite-volume grid.

One call advances a whole batch.  The first axis of every array is the patient; each
patient has its own grid (``n_nodes`` cells, padded with decoupled dummy cells), its own
time step, schedule and boundary.  Two implementations share one discretisation:

* ``run_numba``: ``prange`` over patients, the whole time loop (assembly, Thomas solve,
  enthalpy correction, outputs and metrics) fused inside one compiled kernel;
* ``run_numpy``: the same steps vectorised over patients in NumPy (reference path).

Discretisation (all quantities per unit skin area, see docs/physics.md):

.. math::

   \\frac{C_i^*}{\\Delta t}(T_i^{n+1}-T_i^n) = \\sum_j G_{ij}(T_j^{n+1}-T_i^{n+1})
       + P_i (T_a - T_i^{n+1}) + M_i

backward Euler, with perfusion ``P_i`` and metabolism ``M_i`` lagged (Q10 and
vasoconstriction evaluated at ``T^n``) and the effective heat capacity ``C*`` of the
freezing range corrected afterwards on the enthalpy [Pham1985]_: the predicted change is
turned into an enthalpy change and the temperature recovered from the enthalpy, which
conserves energy across the phase change.

References
----------
.. [Pham1985] Pham QT. A fast, unconditionally stable finite-difference scheme for heat
   conduction with phase change. Int J Heat Mass Transfer 1985;28(11):2079-84.
   :doi:`10.1016/0017-9310(85)90101-2`
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["METRIC_NAMES", "PHYS_FIELDS", "run_numba", "run_numpy"]

PHYS_FIELDS = (
    "q10_perfusion",
    "q10_metabolism",
    "vc_onset_c",
    "vc_full_c",
    "vc_tau_on_s",
    "vc_tau_off_s",
    "freeze_start_c",
    "freeze_end_c",
    "civd_skin_c",
    "analgesia_c",
    "nerve_c",
)
METRIC_NAMES = (
    "skin_min_c",
    "time_to_analgesia_s",
    "time_to_10c_s",
    "time_below_analgesia_s",
    "time_below_10c_s",
    "frozen_depth_m",
    "surface_heat_j_per_m2",
    "source_heat_j_per_m2",
)


@njit(cache=True, inline="always", error_model="numpy")
def _liquid(temp: float, t_start: float, t_end: float) -> float:
    if temp >= t_start:
        return 1.0
    if temp <= t_end:
        return 0.0
    return (temp - t_end) / (t_start - t_end)


@njit(cache=True, inline="always", error_model="numpy")
def _enthalpy(temp: float, cap: float, lat: float, t_start: float, t_end: float) -> float:
    return cap * temp + lat * _liquid(temp, t_start, t_end)


@njit(cache=True, inline="always", error_model="numpy")
def _temperature(h: float, cap: float, lat: float, t_start: float, t_end: float) -> float:
    h_end = cap * t_end
    h_start = cap * t_start + lat
    if h <= h_end:
        return h / cap
    if h >= h_start:
        return (h - lat) / cap
    return t_end + (h - h_end) / (h_start - h_end) * (t_start - t_end)


@njit(cache=True, inline="always", error_model="numpy")
def _pack_temperature(
    e: float, c_solid: float, c_liquid: float, lat: float, t_melt: float
) -> float:
    if e < 0.0:
        return t_melt + e / c_solid
    if e <= lat:
        return t_melt
    return t_melt + (e - lat) / c_liquid


@njit(cache=True, inline="always", error_model="numpy")
def _q10_factor(x: float) -> float:
    """exp(x) for the Q10 factors, |x| <= 8: (Taylor-4 of exp(x/16))^16, rel. error < 1e-4.

    A polynomial instead of ``math.exp`` so that the kernel's inner loop vectorises (no
    vector exp without SVML); the Q10 values themselves are uncertain by tens of percent.
    """
    y = min(max(x, -8.0), 8.0) * 0.0625
    p = 1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (1.0 / 24.0))))
    p = p * p
    p = p * p
    p = p * p
    return p * p


def _np_q10_factor(x: np.ndarray) -> np.ndarray:
    """Vectorised twin of :func:`_q10_factor` (same arithmetic, for the NumPy path)."""
    y = np.clip(x, -8.0, 8.0) * 0.0625
    p = 1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6.0 + y * (1.0 / 24.0))))
    p = p * p
    p = p * p
    p = p * p
    return p * p


# Fast-math flags of the time loop: no FMA contraction and no reassociation, so that the
# vectorised lanes and the scalar remainder compute bit-identical results (a patient's
# answer must not depend on its place in the batch: tests/physics/test_properties.py)
_FASTMATH = {"nnan", "ninf", "nsz", "arcp"}

BLOCK = 8  # patients advanced in lockstep by one thread: the SIMD lanes of the inner loops

# fields of the per-block scratch ``w[node, field, lane]`` (array of structures of arrays:
# one contiguous BLOCK-wide vector per field and node, constant offsets between fields so
# that the compiler can prove the inner lane loops free of aliasing and vectorise them)
_T, _TREF, _PERF, _MET, _VCW, _CDT, _LATM, _GL, _GU, _GSUM, _DEEP = range(11)
_CP, _DP, _SOL, _CE, _PF, _MT, _TOLD = range(11, 18)
_NF = 18


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _run_block(
    p0,
    cap,
    lat,
    perf0,
    met0,
    vcw,
    tinit,
    gface,
    depth,
    gsurf,
    gdeep,
    t_core,
    t_amb,
    h_amb,
    n_valid,
    dt,
    n_steps,
    out_steps,
    mode,
    agent_c,
    h_ext,
    pack,
    civd_onset,
    app_start,
    app_end,
    n_apps,
    probe_lo,
    probe_hi,
    probe_w,
    phys,
    out,
    metrics,
):  # pragma: no cover - compiled
    n_all, n = cap.shape
    # lanes past the end of the batch repeat the last patient and are never written back
    nb = min(BLOCK, n_all - p0)
    q10p = math.log(phys[0]) / 10.0
    q10m = math.log(phys[1]) / 10.0
    vc_on, vc_full = phys[2], phys[3]
    f_start, f_end = phys[6], phys[7]
    inv_range = 1.0 / (f_start - f_end)
    civd_skin, an_c, nerve_c = phys[8], phys[9], phys[10]
    n_probe = probe_lo.shape[1]
    # row n is a decoupled zero node: the neighbour of the first node in the forward sweep and
    # of the last one in the back substitution, so that no lane loop needs a special case
    w = np.zeros((n + 1, _NF, BLOCK))
    # per-lane scalars, one row each
    s = np.zeros((8, BLOCK))
    tc = s[0]
    gs = s[1]
    tx = s[2]
    vc = s[3]
    src = s[4]
    phase = s[5]
    lane = np.empty(BLOCK, dtype=np.int64)
    dtp = np.empty(BLOCK)
    decay_on = np.empty(BLOCK)
    decay_off = np.empty(BLOCK)
    e_pack = np.empty(BLOCK)
    last_app = np.full(BLOCK, -1)
    hx = np.empty(BLOCK)
    active = np.empty(BLOCK, dtype=np.int64)
    skin_min = np.full(BLOCK, 1e9)
    t_an = np.full(BLOCK, -1.0)
    t_10 = np.full(BLOCK, -1.0)
    below_an = np.zeros(BLOCK)
    below_10 = np.zeros(BLOCK)
    frozen = np.zeros(BLOCK)
    q_surface = np.zeros(BLOCK)
    q_source = np.zeros(BLOCK)
    k_out = np.ones(BLOCK, dtype=np.int64)
    max_steps = 0
    for b in range(BLOCK):
        p = p0 + min(b, nb - 1)
        lane[b] = p
        tc[b] = t_core[p]
        dtp[b] = dt[p]
        decay_on[b] = 1.0 - math.exp(-dt[p] / phys[4])
        decay_off[b] = 1.0 - math.exp(-dt[p] / phys[5])
        e_pack[b] = pack[p, 4]
        max_steps = max(max_steps, n_steps[p])
        nv = n_valid[p]
        for i in range(n):
            w[i, _T, b] = tinit[p, i]
            w[i, _TREF, b] = tinit[p, i]
            w[i, _PERF, b] = perf0[p, i]
            w[i, _MET, b] = met0[p, i]
            w[i, _VCW, b] = vcw[p, i]
            w[i, _CDT, b] = cap[p, i] / dt[p]
            w[i, _LATM, b] = lat[p, i] / (f_start - f_end) / dt[p]
            if 0 < i < nv:
                w[i, _GL, b] = gface[p, i - 1]
            if i < nv - 1:
                w[i, _GU, b] = gface[p, i]
            w[i, _GSUM, b] = w[i, _GL, b] + w[i, _GU, b]
        w[nv - 1, _GSUM, b] += gdeep[p]
        w[nv - 1, _DEEP, b] = gdeep[p]
        if b >= nb:
            continue
        # probes at t = 0 (skin exposed to the room)
        t_surf = (gsurf[p] * w[0, _T, b] + h_amb[p] * t_amb[p]) / (gsurf[p] + h_amb[p])
        for k in range(n_probe):
            lo = probe_lo[p, k]
            hi = probe_hi[p, k]
            va = t_surf if lo < 0 else (tc[b] if lo >= n else w[lo, _T, b])
            vb = t_surf if hi < 0 else (tc[b] if hi >= n else w[hi, _T, b])
            out[p, k, 0] = va + probe_w[p, k] * (vb - va)
    for step in range(1, max_steps + 1):
        # boundary and vasoconstriction, per patient
        for b in range(BLOCK):
            p = lane[b]
            t_mid = (step - 0.5) * dtp[b]
            act = -1
            for a_i in range(n_apps[p]):
                if app_start[p, a_i] <= t_mid < app_end[p, a_i]:
                    act = a_i
            active[b] = act
            if act >= 0:
                if act != last_app[b]:
                    e_pack[b] = pack[p, 4]
                    last_app[b] = act
                hx[b] = h_ext[p]
                if mode[p] == 1:
                    tx[b] = _pack_temperature(
                        e_pack[b], pack[p, 0], pack[p, 1], pack[p, 2], pack[p, 3]
                    )
                else:
                    tx[b] = agent_c[p]
            else:
                hx[b] = h_amb[p]
                tx[b] = t_amb[p]
            gs[b] = gsurf[p] * hx[b] / (gsurf[p] + hx[b])
            t_skin = w[0, _T, b]
            target = min(max((vc_on - t_skin) / (vc_on - vc_full), 0.0), 1.0)
            if act >= 0 and t_mid - app_start[p, act] >= civd_onset[p] and t_skin < civd_skin:
                target = 0.0
            vc[b] += (target - vc[b]) * (decay_on[b] if target > vc[b] else decay_off[b])
            src[b] = 0.0
            phase[b] = 0.0
        # assembly fused with the forward sweep (dummy cells are decoupled and stay put);
        # branch-free over the lanes (the surface conductance enters through `surf`)
        for i in range(n):
            ip = i - 1 if i > 0 else n
            for b in range(nb):
                ti = w[i, _T, b]
                dti = ti - w[i, _TREF, b]
                grow = _q10_factor(q10p * dti)
                grow_m = _q10_factor(q10m * dti)
                liq = min(max((ti - f_end) * inv_range, 0.0), 1.0)
                pf = w[i, _PERF, b] * grow * (1.0 - w[i, _VCW, b] * vc[b]) * liq
                mt = w[i, _MET, b] * grow_m * liq
                mushy = (ti > f_end) & (ti < f_start)
                c = w[i, _CDT, b] + (w[i, _LATM, b] if mushy else 0.0)
                dg = c + pf + w[i, _GSUM, b]
                r = c * ti + pf * tc[b] + mt + w[i, _DEEP, b] * tc[b]
                surf = 1.0 if i == 0 else 0.0
                dg += surf * gs[b]
                r += surf * (gs[b] * tx[b])
                inv = 1.0 / (dg - w[i, _GL, b] * w[ip, _CP, b])
                w[i, _DP, b] = (r + w[i, _GL, b] * w[ip, _DP, b]) * inv
                w[i, _CP, b] = w[i, _GU, b] * inv
                w[i, _CE, b] = c
                w[i, _PF, b] = pf
                w[i, _MT, b] = mt
        # back substitution (cprime holds -upper / den, hence the +) fused with the energy
        # account; cells that are or become frozen are flagged for the enthalpy correction
        for i in range(n - 1, -1, -1):
            for b in range(nb):
                new = w[i, _DP, b] + w[i, _CP, b] * w[i + 1, _SOL, b]
                w[i, _SOL, b] = new
                old = w[i, _T, b]
                w[i, _TOLD, b] = old
                w[i, _T, b] = new
                cold = (old < f_start) | (new < f_start)
                phase[b] = max(phase[b], 1.0 if cold else 0.0)
                src[b] += w[i, _MT, b] + (w[i, _PF, b] + w[i, _DEEP, b]) * (tc[b] - new)
        any_phase = False
        for b in range(BLOCK):
            any_phase = any_phase or phase[b] > 0.0
        if any_phase:
            _phase_change(w, lane, phase, cap, lat, dtp, tc, gs, tx, src, f_start, f_end)
        # bookkeeping, metrics and outputs, per patient
        for b in range(nb):
            p = p0 + b
            if step > n_steps[p]:
                continue
            d = dtp[b]
            q_in = gs[b] * (tx[b] - w[0, _SOL, b])
            q_surface[b] += q_in * d
            q_source[b] += src[b] * d
            if active[b] >= 0 and mode[p] == 1:
                e_pack[b] += d * (-q_in + pack[p, 5] * (t_amb[p] - tx[b]))
            t_surf = (gsurf[p] * w[0, _T, b] + hx[b] * tx[b]) / (gsurf[p] + hx[b])
            if t_surf < skin_min[b]:
                skin_min[b] = t_surf
            if t_surf <= an_c:
                below_an[b] += d
                if t_an[b] < 0.0:
                    t_an[b] = step * d
            if t_surf <= nerve_c:
                below_10[b] += d
                if t_10[b] < 0.0:
                    t_10[b] = step * d
            if w[0, _T, b] < f_start:
                nv = n_valid[p]
                f_depth = depth[p, 0]
                for i in range(1, nv):
                    if w[i, _T, b] < f_start:
                        f_depth = depth[p, i]
                    else:
                        ww = (f_start - w[i - 1, _T, b]) / (w[i, _T, b] - w[i - 1, _T, b])
                        f_depth = depth[p, i - 1] + ww * (depth[p, i] - depth[p, i - 1])
                        break
                if f_depth > frozen[b]:
                    frozen[b] = f_depth
            if step % out_steps[p] == 0 and k_out[b] < out.shape[2]:
                for k in range(n_probe):
                    lo = probe_lo[p, k]
                    hi = probe_hi[p, k]
                    va = t_surf if lo < 0 else (tc[b] if lo >= n else w[lo, _T, b])
                    vb = t_surf if hi < 0 else (tc[b] if hi >= n else w[hi, _T, b])
                    out[p, k, k_out[b]] = va + probe_w[p, k] * (vb - va)
                k_out[b] += 1
            if step == n_steps[p]:
                for i in range(n):
                    tinit[p, i] = w[i, _T, b]  # final state handed back in place of the initial one
    for b in range(nb):
        p = p0 + b
        metrics[p, 0] = skin_min[b]
        metrics[p, 1] = t_an[b]
        metrics[p, 2] = t_10[b]
        metrics[p, 3] = below_an[b]
        metrics[p, 4] = below_10[b]
        metrics[p, 5] = frozen[b]
        metrics[p, 6] = q_surface[b]
        metrics[p, 7] = q_source[b]


@njit(cache=True, fastmath=_FASTMATH, error_model="numpy")
def _phase_change(
    w, lane, phase, cap, lat, dtp, tc, gs, tx, src, f_start, f_end
):  # pragma: no cover - compiled
    """Enthalpy correction [Pham1985] for the lanes with a cell in or across the freezing
    range: the lagged-capacity step turned into an enthalpy change, then a second pass
    with the secant capacity of the first (the lagged capacity alone lets a cell jump the
    range in one step).  The energy account ``src`` of those lanes is redone with the
    second solution."""
    n = w.shape[0] - 1  # the last row is the zero node
    for b in range(BLOCK):
        if phase[b] == 0.0:
            continue
        p = lane[b]
        for i in range(n):
            old = w[i, _TOLD, b]
            new = w[i, _SOL, b]
            if not (old >= f_start and new >= f_start):
                h_new = _enthalpy(old, cap[p, i], lat[p, i], f_start, f_end) + w[i, _CE, b] * dtp[
                    b
                ] * (new - old)
                w[i, _T, b] = _temperature(h_new, cap[p, i], lat[p, i], f_start, f_end)
        src[b] = 0.0
        for i in range(n):
            t0 = w[i, _TOLD, b]
            t1 = w[i, _T, b]
            cs = w[i, _CE, b]
            if abs(t1 - t0) > 1e-9:
                h1 = _enthalpy(t1, cap[p, i], lat[p, i], f_start, f_end)
                h0 = _enthalpy(t0, cap[p, i], lat[p, i], f_start, f_end)
                cs = (h1 - h0) / (t1 - t0) / dtp[b]
            dg = cs + w[i, _PF, b] + w[i, _GSUM, b]
            r = cs * t0 + w[i, _PF, b] * tc[b] + w[i, _MT, b] + w[i, _DEEP, b] * tc[b]
            if i == 0:
                dg += gs[b]
                r += gs[b] * tx[b]
                inv = 1.0 / dg
                w[0, _DP, b] = r * inv
            else:
                inv = 1.0 / (dg - w[i, _GL, b] * w[i - 1, _CP, b])
                w[i, _DP, b] = (r + w[i, _GL, b] * w[i - 1, _DP, b]) * inv
            w[i, _CP, b] = w[i, _GU, b] * inv
            w[i, _CE, b] = cs
        for i in range(n - 1, -1, -1):
            new = w[i, _DP, b] + (w[i, _CP, b] * w[i + 1, _SOL, b] if i < n - 1 else 0.0)
            w[i, _SOL, b] = new
            t0 = w[i, _TOLD, b]
            h_new = _enthalpy(t0, cap[p, i], lat[p, i], f_start, f_end) + w[i, _CE, b] * dtp[b] * (
                new - t0
            )
            w[i, _T, b] = _temperature(h_new, cap[p, i], lat[p, i], f_start, f_end)
            src[b] += w[i, _MT, b] + (w[i, _PF, b] + w[i, _DEEP, b]) * (tc[b] - new)


@njit(cache=True, parallel=True)
def _run_all(
    cap,
    lat,
    perf0,
    met0,
    vcw,
    tinit,
    gface,
    depth,
    gsurf,
    gdeep,
    t_core,
    t_amb,
    h_amb,
    n_valid,
    dt,
    n_steps,
    out_steps,
    mode,
    agent_c,
    h_ext,
    pack,
    civd_onset,
    app_start,
    app_end,
    n_apps,
    probe_lo,
    probe_hi,
    probe_w,
    phys,
    out,
    metrics,
):  # pragma: no cover - compiled
    n_blocks = (cap.shape[0] + BLOCK - 1) // BLOCK
    for block in prange(n_blocks):
        _run_block(
            block * BLOCK,
            cap,
            lat,
            perf0,
            met0,
            vcw,
            tinit,
            gface,
            depth,
            gsurf,
            gdeep,
            t_core,
            t_amb,
            h_amb,
            n_valid,
            dt,
            n_steps,
            out_steps,
            mode,
            agent_c,
            h_ext,
            pack,
            civd_onset,
            app_start,
            app_end,
            n_apps,
            probe_lo,
            probe_hi,
            probe_w,
            phys,
            out,
            metrics,
        )


def run_numba(
    arrays: dict[str, np.ndarray], phys: np.ndarray, n_out: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the compiled kernel.

    Returns ``(out, metrics, final_temp)``: probe traces ``(n_patients, n_probes, n_out)``,
    metrics ``(n_patients, len(METRIC_NAMES))`` and the final node temperatures
    ``(n_patients, n_nodes)``.
    """
    n_patients = arrays["cap"].shape[0]
    n_probes = arrays["probe_lo"].shape[1]
    out = np.full((n_patients, n_probes, n_out), np.nan)
    metrics = np.zeros((n_patients, len(METRIC_NAMES)))
    state = arrays["tinit"].copy()
    _run_all(
        arrays["cap"],
        arrays["lat"],
        arrays["perf0"],
        arrays["met0"],
        arrays["vcw"],
        state,
        arrays["gface"],
        arrays["depth"],
        arrays["gsurf"],
        arrays["gdeep"],
        arrays["t_core"],
        arrays["t_amb"],
        arrays["h_amb"],
        arrays["n_valid"],
        arrays["dt"],
        arrays["n_steps"],
        arrays["out_steps"],
        arrays["mode"],
        arrays["agent_c"],
        arrays["h_ext"],
        arrays["pack"],
        arrays["civd_onset"],
        arrays["app_start"],
        arrays["app_end"],
        arrays["n_apps"],
        arrays["probe_lo"],
        arrays["probe_hi"],
        arrays["probe_w"],
        phys,
        out,
        metrics,
    )
    return out, metrics, state


def _np_liquid(temp: np.ndarray, t_start: float, t_end: float) -> np.ndarray:
    return np.clip((temp - t_end) / (t_start - t_end), 0.0, 1.0)


def _np_temperature(
    h: np.ndarray, cap: np.ndarray, lat: np.ndarray, t_start: float, t_end: float
) -> np.ndarray:
    h_end = cap * t_end
    h_start = cap * t_start + lat
    mushy = t_end + (h - h_end) / np.maximum(h_start - h_end, 1e-300) * (t_start - t_end)
    return np.where(h <= h_end, h / cap, np.where(h >= h_start, (h - lat) / cap, mushy))


def _np_pack_temperature(e: np.ndarray, pack: np.ndarray) -> np.ndarray:
    c_solid, c_liquid, lat, t_melt = pack[:, 0], pack[:, 1], pack[:, 2], pack[:, 3]
    return np.where(
        e < 0.0, t_melt + e / c_solid, np.where(e <= lat, t_melt, t_melt + (e - lat) / c_liquid)
    )


def _np_probe(
    temp: np.ndarray,
    t_surf: np.ndarray,
    t_core: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    w: np.ndarray,
) -> np.ndarray:
    n = temp.shape[1]
    ext = np.concatenate(
        [temp, t_core[:, None], t_surf[:, None]], axis=1
    )  # index n = core, n+1 = surface
    lo_i = np.where(lo < 0, n + 1, np.minimum(lo, n))
    hi_i = np.where(hi < 0, n + 1, np.minimum(hi, n))
    a = np.take_along_axis(ext, lo_i, axis=1)
    b = np.take_along_axis(ext, hi_i, axis=1)
    return a + w * (b - a)


def run_numpy(
    arrays: dict[str, np.ndarray], phys: np.ndarray, n_out: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Same as :func:`run_numba`, vectorised over patients in NumPy (reference path)."""
    from cryotx.physics._tridiag import solve_numpy

    a = arrays
    cap, lat, perf0, met0, vcw = a["cap"], a["lat"], a["perf0"], a["met0"], a["vcw"]
    tinit, gface, depth = a["tinit"], a["gface"], a["depth"]
    n_patients, n = cap.shape
    q10p, q10m, vc_on, vc_full, tau_on, tau_off, f_start, f_end, civd_skin, an_c, nerve_c = (
        float(x) for x in phys
    )
    q10p = np.log(q10p)
    q10m = np.log(q10m)
    dt = a["dt"]
    temp = tinit.copy()
    out = np.full((n_patients, a["probe_lo"].shape[1], n_out), np.nan)
    rows = np.arange(n_patients)
    vc = np.zeros(n_patients)
    e_pack = a["pack"][:, 4].copy()
    last_app = np.full(n_patients, -1)
    skin_min = np.full(n_patients, 1e9)
    t_an = np.full(n_patients, -1.0)
    t_10 = np.full(n_patients, -1.0)
    below_an = np.zeros(n_patients)
    below_10 = np.zeros(n_patients)
    frozen = np.zeros(n_patients)
    q_surface = np.zeros(n_patients)
    q_source = np.zeros(n_patients)
    t_core = a["t_core"]
    hx = a["h_amb"].copy()
    tx = a["t_amb"].copy()
    t_surf = (a["gsurf"] * temp[:, 0] + hx * tx) / (a["gsurf"] + hx)
    out[:, :, 0] = _np_probe(temp, t_surf, t_core, a["probe_lo"], a["probe_hi"], a["probe_w"])
    k_out = np.ones(n_patients, dtype=np.int64)
    n_apps_max = a["app_start"].shape[1]
    lower = np.zeros((n_patients, n))
    upper = np.zeros((n_patients, n))
    lower[:, 1:] = -gface[:, :-1]
    upper[:, :-1] = -gface[:, :-1]
    gsum = np.zeros((n_patients, n))
    gsum[:, 1:] += gface[:, :-1]
    gsum[:, :-1] += gface[:, :-1]
    last = a["n_valid"] - 1
    gsum[rows, last] += a["gdeep"]
    depth_valid = np.arange(n)[None, :] < a["n_valid"][:, None]
    for step in range(1, int(a["n_steps"].max()) + 1):
        running = step <= a["n_steps"]
        t_mid = (step - 0.5) * dt
        active = np.full(n_patients, -1)
        for a_i in range(n_apps_max):
            inside = (
                (a_i < a["n_apps"])
                & (a["app_start"][:, a_i] <= t_mid)
                & (t_mid < a["app_end"][:, a_i])
            )
            active = np.where(inside, a_i, active)
        on = active >= 0
        fresh = on & (active != last_app)
        e_pack = np.where(fresh, a["pack"][:, 4], e_pack)
        last_app = np.where(on, active, last_app)
        agent = np.where(a["mode"] == 1, _np_pack_temperature(e_pack, a["pack"]), a["agent_c"])
        hx = np.where(on, a["h_ext"], a["h_amb"])
        tx = np.where(on, agent, a["t_amb"])
        gs = a["gsurf"] * hx / (a["gsurf"] + hx)
        target = np.clip((vc_on - temp[:, 0]) / (vc_on - vc_full), 0.0, 1.0)
        start_active = a["app_start"][rows, np.maximum(active, 0)]
        civd = on & (t_mid - start_active >= a["civd_onset"]) & (temp[:, 0] < civd_skin)
        target = np.where(civd, 0.0, target)
        tau = np.where(target > vc, tau_on, tau_off)
        vc = np.where(running, vc + (target - vc) * (1.0 - np.exp(-dt / tau)), vc)
        liq = _np_liquid(temp, f_start, f_end)
        dti = temp - tinit
        pf = perf0 * _np_q10_factor(q10p / 10.0 * dti) * (1.0 - vcw * vc[:, None]) * liq
        mt = met0 * _np_q10_factor(q10m / 10.0 * dti) * liq
        mushy = (temp > f_end) & (temp < f_start)
        ce = cap + np.where(mushy, lat / (f_start - f_end), 0.0)
        diag = ce / dt[:, None] + pf + gsum
        diag[:, 0] += gs
        rhs = ce / dt[:, None] * temp + pf * t_core[:, None] + mt
        rhs[:, 0] += gs * tx
        rhs[rows, last] += a["gdeep"] * t_core
        sol = solve_numpy(lower, diag, upper, rhs)
        h_old = cap * temp + lat * liq
        first = _np_temperature(h_old + ce * (sol - temp), cap, lat, f_start, f_end)
        phase: np.ndarray = np.asarray(((temp < f_start) | (sol < f_start)).any(axis=1))
        new = first
        if phase.any():
            # second pass with the secant capacity of the first pass (phase change only)
            step_t = first - temp
            h_first = cap * first + lat * _np_liquid(first, f_start, f_end)
            secant = np.where(
                np.abs(step_t) > 1e-9, (h_first - h_old) / np.where(step_t == 0.0, 1.0, step_t), ce
            )
            diag2 = secant / dt[:, None] + pf + gsum
            diag2[:, 0] += gs
            rhs2 = secant / dt[:, None] * temp + pf * t_core[:, None] + mt
            rhs2[:, 0] += gs * tx
            rhs2[rows, last] += a["gdeep"] * t_core
            sol2 = solve_numpy(lower, diag2, upper, rhs2)
            second = _np_temperature(h_old + secant * (sol2 - temp), cap, lat, f_start, f_end)
            sol = np.where(phase[:, None], sol2, sol)
            new = np.where(phase[:, None], second, first)
        src = mt.sum(axis=1) + (pf * (t_core[:, None] - sol)).sum(axis=1)
        src += a["gdeep"] * (t_core - sol[rows, last])
        q_in = gs * (tx - sol[:, 0])
        temp = np.where(running[:, None], new, temp)
        q_surface += np.where(running, q_in * dt, 0.0)
        q_source += np.where(running, src * dt, 0.0)
        pack_flux = -q_in + a["pack"][:, 5] * (a["t_amb"] - tx)
        e_pack = np.where(on & (a["mode"] == 1) & running, e_pack + dt * pack_flux, e_pack)
        t_surf = (a["gsurf"] * temp[:, 0] + hx * tx) / (a["gsurf"] + hx)
        skin_min = np.where(running, np.minimum(skin_min, t_surf), skin_min)
        cold_an = running & (t_surf <= an_c)
        cold_10 = running & (t_surf <= nerve_c)
        below_an += np.where(cold_an, dt, 0.0)
        below_10 += np.where(cold_10, dt, 0.0)
        t_an = np.where(cold_an & (t_an < 0.0), step * dt, t_an)
        t_10 = np.where(cold_10 & (t_10 < 0.0), step * dt, t_10)
        is_frozen = (temp < f_start) & depth_valid
        if is_frozen[:, 0].any():
            # first unfrozen node below a frozen surface: interpolate the isotherm
            first_liquid = np.argmin(is_frozen, axis=1)
            first_liquid = np.where(is_frozen.all(axis=1), a["n_valid"] - 1, first_liquid)
            j = np.maximum(first_liquid, 1)
            t_lo = temp[rows, j - 1]
            t_hi = temp[rows, j]
            w = np.clip((f_start - t_lo) / np.where(t_hi != t_lo, t_hi - t_lo, 1.0), 0.0, 1.0)
            f_depth = depth[rows, j - 1] + w * (depth[rows, j] - depth[rows, j - 1])
            f_depth = np.where(is_frozen.all(axis=1), depth[rows, a["n_valid"] - 1], f_depth)
            f_depth = np.where(is_frozen[:, 0] & running, f_depth, 0.0)
            frozen = np.maximum(frozen, f_depth)
        record = running & (step % a["out_steps"] == 0) & (k_out < n_out)
        if record.any():
            values = _np_probe(temp, t_surf, t_core, a["probe_lo"], a["probe_hi"], a["probe_w"])
            idx = np.nonzero(record)[0]
            out[idx, :, k_out[idx]] = values[idx]
            k_out[idx] += 1
    metrics = np.stack(
        [skin_min, t_an, t_10, below_an, below_10, frozen, q_surface, q_source], axis=1
    )
    return out, metrics, temp
