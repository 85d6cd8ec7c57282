"""Time loop of the local engine: implicit Pennes bioheat on a 1-D finite-volume grid.

One call advances a whole batch.  The first axis of every array is the patient; each
patient has its own grid (``n_nodes`` cells, padded with decoupled dummy cells), its own
step plan, schedule and boundary.  Two implementations share one discretisation:

* ``run_numba``: ``prange`` over blocks of patients, the whole time loop (assembly,
  Thomas solve, enthalpy correction, outputs and metrics) fused inside one compiled kernel;
* :func:`cryotx.physics._reference.run_numpy`: the same steps vectorised over patients in
  NumPy (reference path).

Discretisation (all quantities per unit skin area, see docs/physics.md):

.. math::

   \\frac{C_i^*}{h_n}(a_0 T_i^{n+1} - a_1 T_i^n + a_2 T_i^{n-1})
       = \\sum_j G_{ij}(T_j^{n+1}-T_i^{n+1}) + P_i^* (T_a - T_i^{n+1}) + M_i^*

Variable-step BDF2 [HairerNorsettWanner1993]_ (``a`` from the step ratio, see
:func:`_step_coefficients`), or backward Euler ``(1, 1, 0)``: always on the first step
of a phase (an application starting or ending changes the boundary discontinuously, so
the multistep history restarts there), after a step through the freezing range, and
throughout when ``scheme`` is 0.  Perfusion ``P*`` and metabolism ``M*`` (Q10, liquid
fraction, vasoconstriction) are evaluated at ``T*``: ``T^n`` in backward Euler,
extrapolated to ``t[n+1]`` from the last two steps in BDF2 (lagged one step they would
make it first order).  A patient with a cell in or across the freezing range is stepped
by backward Euler with the effective heat capacity ``C*`` corrected afterwards on the
enthalpy [Pham1985]_: the predicted change is turned into an enthalpy change and the
temperature recovered from the enthalpy, which conserves energy across the phase change.

References
----------
.. [Pham1985] Pham QT. A fast, unconditionally stable finite-difference scheme for heat
   conduction with phase change. Int J Heat Mass Transfer 1985;28(11):2079-84.
   :doi:`10.1016/0017-9310(85)90101-2`
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit, prange

__all__ = ["BLOCK", "METRIC_NAMES", "PHYS_FIELDS", "run_numba"]

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
_T, _TREF, _PERF, _MET, _VCW, _CAP, _LATR, _GL, _GU, _GSUM, _DEEP = range(11)
_CP, _DP, _SOL, _CE, _PF, _MT, _TOLD = range(11, 18)
_NF = 18

# per-lane scalars of a step, rows of ``s[row, lane]``
_S_GS, _S_TX, _S_VC, _S_SRC, _S_PHASE, _S_A0, _S_A1, _S_A2, _S_EX, _S_INVH = range(10)
_NS = 10


@njit(cache=True, inline="always", error_model="numpy")
def _step_coefficients(omega: float, bdf2: bool) -> tuple[float, float, float, float]:
    """(a0, a1, a2, ex) of ``a0 T[n+1] - a1 T[n] + a2 T[n-1] = h F(T[n+1])``.

    Variable-step BDF2 for a step ratio ``omega = h[n] / h[n-1]`` [HairerNorsettWanner1993]_, or
    backward Euler (1, 1, 0, 0).  ``ex`` extrapolates the lagged terms to ``t[n+1]``:
    ``T* = T[n] + ex (T[n] - T[n-1])``.  ``a1 = a0 + a2`` exactly, so that the energy
    change of a step is ``(h F + a2 dE[n-1]) / a0`` (see :func:`_run_block`).
    """
    if not bdf2:
        return 1.0, 1.0, 0.0, 0.0
    a0 = (1.0 + 2.0 * omega) / (1.0 + omega)
    a2 = omega * omega / (1.0 + omega)
    return a0, a0 + a2, a2, omega


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
    seg_end,
    seg_ngrad,
    seg_nu,
    seg_hu,
    n_seg,
    grade_h0,
    grade_r,
    n_steps,
    out_dt,
    scheme,
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
    s = np.zeros((_NS, BLOCK))
    gs = s[_S_GS]
    tx = s[_S_TX]
    vc = s[_S_VC]
    src = s[_S_SRC]
    phase = s[_S_PHASE]
    a0 = s[_S_A0]
    a1 = s[_S_A1]
    a2 = s[_S_A2]
    ex = s[_S_EX]
    inv_h = s[_S_INVH]
    lane = np.empty(BLOCK, dtype=np.int64)
    tc = np.empty(BLOCK)
    # stepping: segment, step within it, step size, times, history usable for BDF2
    seg = np.zeros(BLOCK, dtype=np.int64)
    seg_k = np.zeros(BLOCK, dtype=np.int64)
    h_cur = np.ones(BLOCK)
    h_prev = np.ones(BLOCK)
    h_decay = np.zeros(BLOCK)
    t_old = np.zeros(BLOCK)
    t_new = np.zeros(BLOCK)
    hist = np.zeros(BLOCK)
    decay_on = np.empty(BLOCK)
    decay_off = np.empty(BLOCK)
    e_pack = np.empty(BLOCK)
    e_prev = np.empty(BLOCK)
    e_surf = np.zeros(BLOCK)  # energy change of the last step (surface, sources) [J/m2]
    e_src = np.zeros(BLOCK)
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
    v_prev = np.zeros(BLOCK)  # skin surface at t_old
    pv = np.zeros((n_probe, BLOCK))  # probe values at t_old and the step before
    pv2 = np.zeros((n_probe, BLOCK))
    t_prev2 = np.zeros(BLOCK)
    k_out = np.ones(BLOCK, dtype=np.int64)
    max_steps = 0
    for b in range(BLOCK):
        p = p0 + min(b, nb - 1)
        lane[b] = p
        tc[b] = t_core[p]
        e_pack[b] = pack[p, 4]
        e_prev[b] = pack[p, 4]
        max_steps = max(max_steps, n_steps[p])
        nv = n_valid[p]
        for i in range(n):
            w[i, _T, b] = tinit[p, i]
            w[i, _TOLD, b] = tinit[p, i]
            w[i, _TREF, b] = tinit[p, i]
            w[i, _PERF, b] = perf0[p, i]
            w[i, _MET, b] = met0[p, i]
            w[i, _VCW, b] = vcw[p, i]
            w[i, _CAP, b] = cap[p, i]
            w[i, _LATR, b] = lat[p, i] * inv_range
            if 0 < i < nv:
                w[i, _GL, b] = gface[p, i - 1]
            if i < nv - 1:
                w[i, _GU, b] = gface[p, i]
            w[i, _GSUM, b] = w[i, _GL, b] + w[i, _GU, b]
        w[nv - 1, _GSUM, b] += gdeep[p]
        w[nv - 1, _DEEP, b] = gdeep[p]
        # probes at t = 0 (skin exposed to the room)
        t_surf = (gsurf[p] * w[0, _T, b] + h_amb[p] * t_amb[p]) / (gsurf[p] + h_amb[p])
        v_prev[b] = t_surf
        for k in range(n_probe):
            lo = probe_lo[p, k]
            hi = probe_hi[p, k]
            va = t_surf if lo < 0 else (tc[b] if lo >= n else w[lo, _T, b])
            vb = t_surf if hi < 0 else (tc[b] if hi >= n else w[hi, _T, b])
            pv[k, b] = va + probe_w[p, k] * (vb - va)
            if b < nb:
                out[p, k, 0] = pv[k, b]
    for step in range(1, max_steps + 1):
        # step size, scheme coefficients, boundary and vasoconstriction, per patient
        for b in range(BLOCK):
            p = lane[b]
            sg = seg[b]
            k = seg_k[b]
            if k >= seg_ngrad[p, sg] + seg_nu[p, sg] and sg < n_seg[p] - 1:
                sg += 1
                k = 0
                seg[b] = sg
                seg_k[b] = 0
            if k == 0:
                h = grade_h0[p] if seg_ngrad[p, sg] > 0 else seg_hu[p, sg]
            elif k < seg_ngrad[p, sg]:
                h = h_cur[b] * grade_r[p]
            else:
                h = seg_hu[p, sg]
            h_cur[b] = h
            t_old[b] = t_new[b]
            if k == seg_ngrad[p, sg] + seg_nu[p, sg] - 1:
                t_new[b] = seg_end[p, sg]
            else:
                t_new[b] = t_old[b] + h
            # BDF2 from the second step of a segment on, after a step without phase change
            bdf2 = scheme == 1 and k > 0 and hist[b] > 0.0
            a0[b], a1[b], a2[b], ex[b] = _step_coefficients(h / h_prev[b], bdf2)
            inv_h[b] = 1.0 / h
            if h != h_decay[b]:
                decay_on[b] = 1.0 - math.exp(-h / phys[4])
                decay_off[b] = 1.0 - math.exp(-h / phys[5])
                h_decay[b] = h
            t_mid = t_old[b] + 0.5 * h
            act = -1
            for a_i in range(n_apps[p]):
                if app_start[p, a_i] <= t_mid < app_end[p, a_i]:
                    act = a_i
            active[b] = act
            if act >= 0:
                if act != last_app[b]:
                    e_pack[b] = pack[p, 4]
                    e_prev[b] = pack[p, 4]
                    last_app[b] = act
                hx[b] = h_ext[p]
                if mode[p] == 1:
                    e_eval = e_pack[b] + ex[b] * (e_pack[b] - e_prev[b])
                    tx[b] = _pack_temperature(
                        e_eval, pack[p, 0], pack[p, 1], pack[p, 2], pack[p, 3]
                    )
                else:
                    tx[b] = agent_c[p]
            else:
                hx[b] = h_amb[p]
                tx[b] = t_amb[p]
            gs[b] = gsurf[p] * hx[b] / (gsurf[p] + hx[b])
            # constriction toward the target of the skin at mid-step (extrapolated in BDF2)
            t_skin = w[0, _T, b] + 0.5 * ex[b] * (w[0, _T, b] - w[0, _TOLD, b])
            target = min(max((vc_on - t_skin) / (vc_on - vc_full), 0.0), 1.0)
            if act >= 0 and t_mid - app_start[p, act] >= civd_onset[p] and t_skin < civd_skin:
                target = 0.0
            vc[b] += (target - vc[b]) * (decay_on[b] if target > vc[b] else decay_off[b])
            src[b] = 0.0
            phase[b] = 0.0
        # assembly fused with the forward sweep (dummy cells are decoupled and stay put);
        # branch-free over the lanes (the surface conductance enters through `surf`);
        # perfusion and metabolism at T* (T[n] in backward Euler, extrapolated in BDF2)
        for i in range(n):
            ip = i - 1 if i > 0 else n
            for b in range(nb):
                ti = w[i, _T, b]
                to = w[i, _TOLD, b]
                te = ti + ex[b] * (ti - to)
                dti = te - w[i, _TREF, b]
                grow = _q10_factor(q10p * dti)
                grow_m = _q10_factor(q10m * dti)
                liq = min(max((te - f_end) * inv_range, 0.0), 1.0)
                pf = w[i, _PERF, b] * grow * (1.0 - w[i, _VCW, b] * vc[b]) * liq
                mt = w[i, _MET, b] * grow_m * liq
                mushy = (ti > f_end) & (ti < f_start)
                c = (w[i, _CAP, b] + (w[i, _LATR, b] if mushy else 0.0)) * inv_h[b]
                dg = a0[b] * c + pf + w[i, _GSUM, b]
                r = c * (a1[b] * ti - a2[b] * to) + pf * tc[b] + mt + w[i, _DEEP, b] * tc[b]
                surf = 1.0 if i == 0 else 0.0
                dg += surf * gs[b]
                r += surf * (gs[b] * tx[b])
                inv = 1.0 / (dg - w[i, _GL, b] * w[ip, _CP, b])
                w[i, _DP, b] = (r + w[i, _GL, b] * w[ip, _DP, b]) * inv
                w[i, _CP, b] = w[i, _GU, b] * inv
                w[i, _CE, b] = c
                w[i, _PF, b] = pf
                w[i, _MT, b] = mt
        # back substitution (cprime holds -upper / den, hence the +) fused with the source
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
            _phase_change(w, lane, s, h_cur, cap, lat, tc, f_start, f_end)
        # bookkeeping, metrics and outputs, per patient
        for b in range(nb):
            p = p0 + b
            if step > n_steps[p]:
                continue
            d = h_cur[b]
            if phase[b] > 0.0:  # the step was redone as backward Euler
                a0[b] = 1.0
                a2[b] = 0.0
            # energy change of the step: (h F[n+1] + a2 dE[n]) / a0 for the surface and for
            # the sources separately; the tissue's enthalpy change is their sum
            q_in = gs[b] * (tx[b] - w[0, _SOL, b])
            e_surf[b] = (d * q_in + a2[b] * e_surf[b]) / a0[b]
            e_src[b] = (d * src[b] + a2[b] * e_src[b]) / a0[b]
            q_surface[b] += e_surf[b]
            q_source[b] += e_src[b]
            if active[b] >= 0 and mode[p] == 1:
                e_prev[b] = e_pack[b]
                e_pack[b] += -e_surf[b] + d * pack[p, 5] * (t_amb[p] - tx[b])
            hist[b] = 1.0 - phase[b]
            h_prev[b] = d
            seg_k[b] += 1
            t_surf = (gsurf[p] * w[0, _T, b] + hx[b] * tx[b]) / (gsurf[p] + hx[b])
            vp = v_prev[b]
            v_prev[b] = t_surf
            if t_surf < skin_min[b]:
                skin_min[b] = t_surf
            # time below a threshold and first crossing, linear within the step
            for m in range(2):
                thr = an_c if m == 0 else nerve_c
                frac = 0.0
                if t_surf <= thr:
                    frac = 1.0 if vp <= thr else (thr - t_surf) / (vp - t_surf)
                elif vp <= thr:
                    frac = (thr - vp) / (t_surf - vp)
                if m == 0:
                    below_an[b] += frac * d
                    if t_an[b] < 0.0 and t_surf <= thr:
                        t_an[b] = t_new[b] - frac * d
                else:
                    below_10[b] += frac * d
                    if t_10[b] < 0.0 and t_surf <= thr:
                        t_10[b] = t_new[b] - frac * d
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
            # outputs in (t_old, t_new]: quadratic through the last three step ends within a
            # segment, linear across a segment start (the boundary may jump there)
            quad = seg_k[b] > 1
            t0, t1, t2 = t_prev2[b], t_old[b], t_new[b]
            for k in range(n_probe):
                lo = probe_lo[p, k]
                hi = probe_hi[p, k]
                va = t_surf if lo < 0 else (tc[b] if lo >= n else w[lo, _T, b])
                vb = t_surf if hi < 0 else (tc[b] if hi >= n else w[hi, _T, b])
                v2 = va + probe_w[p, k] * (vb - va)
                j = k_out[b]
                while j < out.shape[2] and j * out_dt[p] <= t2 + 1e-9 * (1.0 + t2):
                    tt = j * out_dt[p]
                    if quad:
                        l0 = (tt - t1) * (tt - t2) / ((t0 - t1) * (t0 - t2))
                        l1 = (tt - t0) * (tt - t2) / ((t1 - t0) * (t1 - t2))
                        l2 = (tt - t0) * (tt - t1) / ((t2 - t0) * (t2 - t1))
                        out[p, k, j] = l0 * pv2[k, b] + l1 * pv[k, b] + l2 * v2
                    else:
                        x = (tt - t1) / (t2 - t1)
                        out[p, k, j] = pv[k, b] + x * (v2 - pv[k, b])
                    j += 1
                pv2[k, b] = pv[k, b]
                pv[k, b] = v2
            while k_out[b] < out.shape[2] and k_out[b] * out_dt[p] <= t2 + 1e-9 * (1.0 + t2):
                k_out[b] += 1
            t_prev2[b] = t1
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
def _phase_change(w, lane, s, h_cur, cap, lat, tc, f_start, f_end):  # pragma: no cover - compiled
    """Backward-Euler step with the enthalpy correction [Pham1985]_ for the lanes with a cell
    in or across the freezing range (whatever scheme the main sweep used).

    First pass: the effective capacity at ``T[n]``, the predicted change turned into an
    enthalpy change; second pass with the secant capacity of the first (the lagged capacity
    alone lets a cell jump the range in one step).  The source account of those lanes is
    redone with the second solution."""
    n = w.shape[0] - 1  # the last row is the zero node
    gs = s[_S_GS]
    tx = s[_S_TX]
    src = s[_S_SRC]
    phase = s[_S_PHASE]
    for b in range(BLOCK):
        if phase[b] == 0.0:
            continue
        p = lane[b]
        h = h_cur[b]
        for i in range(n):
            t0 = w[i, _TOLD, b]
            c = w[i, _CE, b]
            dg = c + w[i, _PF, b] + w[i, _GSUM, b]
            r = c * t0 + w[i, _PF, b] * tc[b] + w[i, _MT, b] + w[i, _DEEP, b] * tc[b]
            if i == 0:
                dg += gs[b]
                r += gs[b] * tx[b]
                inv = 1.0 / dg
                w[0, _DP, b] = r * inv
            else:
                inv = 1.0 / (dg - w[i, _GL, b] * w[i - 1, _CP, b])
                w[i, _DP, b] = (r + w[i, _GL, b] * w[i - 1, _DP, b]) * inv
            w[i, _CP, b] = w[i, _GU, b] * inv
        for i in range(n - 1, -1, -1):
            new = w[i, _DP, b] + (w[i, _CP, b] * w[i + 1, _SOL, b] if i < n - 1 else 0.0)
            w[i, _SOL, b] = new
            old = w[i, _TOLD, b]
            w[i, _T, b] = new
            if not (old >= f_start and new >= f_start):
                h_new = _enthalpy(old, cap[p, i], lat[p, i], f_start, f_end) + w[i, _CE, b] * h * (
                    new - old
                )
                w[i, _T, b] = _temperature(h_new, cap[p, i], lat[p, i], f_start, f_end)
        src[b] = 0.0
        for i in range(n):
            t0 = w[i, _TOLD, b]
            t1 = w[i, _T, b]
            cs = w[i, _CE, b]
            if abs(t1 - t0) > 1e-9:
                h1 = _enthalpy(t1, cap[p, i], lat[p, i], f_start, f_end)
                h0 = _enthalpy(t0, cap[p, i], lat[p, i], f_start, f_end)
                cs = (h1 - h0) / (t1 - t0) / h
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
            h_new = _enthalpy(t0, cap[p, i], lat[p, i], f_start, f_end) + w[i, _CE, b] * h * (
                new - t0
            )
            w[i, _T, b] = _temperature(h_new, cap[p, i], lat[p, i], f_start, f_end)
            src[b] += w[i, _MT, b] + (w[i, _PF, b] + w[i, _DEEP, b]) * (tc[b] - new)


_ARGS = (
    "cap",
    "lat",
    "perf0",
    "met0",
    "vcw",
    "tinit",
    "gface",
    "depth",
    "gsurf",
    "gdeep",
    "t_core",
    "t_amb",
    "h_amb",
    "n_valid",
    "seg_end",
    "seg_ngrad",
    "seg_nu",
    "seg_hu",
    "n_seg",
    "grade_h0",
    "grade_r",
    "n_steps",
    "out_dt",
    "scheme",
    "mode",
    "agent_c",
    "h_ext",
    "pack",
    "civd_onset",
    "app_start",
    "app_end",
    "n_apps",
    "probe_lo",
    "probe_hi",
    "probe_w",
)
"""Batch arrays the kernels read (``engine._batch_arrays`` builds them), in call order."""


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
    seg_end,
    seg_ngrad,
    seg_nu,
    seg_hu,
    n_seg,
    grade_h0,
    grade_r,
    n_steps,
    out_dt,
    scheme,
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
            seg_end,
            seg_ngrad,
            seg_nu,
            seg_hu,
            n_seg,
            grade_h0,
            grade_r,
            n_steps,
            out_dt,
            scheme,
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
    arrays: dict[str, np.ndarray], phys: np.ndarray, n_out: int, *, scheme: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the compiled kernel (``scheme``: 0 backward Euler, 1 BDF2).

    Returns ``(out, metrics, final_temp)``: probe traces ``(n_patients, n_probes, n_out)``,
    metrics ``(n_patients, len(METRIC_NAMES))`` and the final node temperatures
    ``(n_patients, n_nodes)``.
    """
    n_patients = arrays["cap"].shape[0]
    n_probes = arrays["probe_lo"].shape[1]
    out = np.full((n_patients, n_probes, n_out), np.nan)
    metrics = np.zeros((n_patients, len(METRIC_NAMES)))
    final = arrays["tinit"].copy()  # the kernel overwrites it with the final state
    args: list[Any] = [arrays[name] for name in _ARGS if name not in ("tinit", "scheme")]
    args.insert(_ARGS.index("tinit"), final)
    args.insert(_ARGS.index("scheme"), int(scheme))
    if n_patients <= BLOCK:
        # one block: run it on this thread (starting the parallel region for one block
        # cost milliseconds on a busy machine, more than the block's own work)
        _run_block(0, *args, phys, out, metrics)  # type: ignore[call-arg]
    else:
        _run_all(*args, phys, out, metrics)  # type: ignore[call-arg]
    return out, metrics, final
