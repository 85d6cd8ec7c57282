"""Fused time loop of the whole-body model, one compiled kernel parallel over bodies.

Per body and time step (backward Euler in every segment, see docs/whole_body.md):

1. thermoregulation signals from the current head-core and skin errors (JOS-3 structure,
   :mod:`.regulation`): skin blood flow, shivering, sweating, AVA and CIVD;
2. per segment, the radial conduction-perfusion system (tridiagonal, Thomas algorithm)
   with the surface exchange implicit in the skin temperature, solved for two
   right-hand sides: the tissue terms and the response to the arterial (central blood)
   temperature;
3. the central blood pool from its balance with the new tissue temperatures, so that
   blood and tissue are implicit together (exactly conservative, stable at any step);
4. the tissue temperatures and the enthalpy correction for freezing [Pham1985]_ (as the
   local engine does).

The tridiagonal solve is written inline rather than calling :func:`cryotx.physics._tridiag.solve`
so that each body's 13 small systems stay in cache inside one ``prange`` iteration; the
tests compare both.  ``run.py_func`` is the same source run by the Python interpreter
(the JIT-parity reference path).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["ENERGY_FIELDS", "ONSET_DT_S", "onset_ramp", "onset_step", "run", "skin_flow_factor"]

ENERGY_FIELDS = ("enthalpy_start_j", "enthalpy_end_j", "metabolic_j", "surface_j", "respiratory_j")

# Indices fixed by segments.SEGMENTS.
_HEAD, _CHEST, _BACK, _ABDOMEN, _LUMBAR, _HAND, _FOOT = 0, 2, 3, 4, 5, 8, 12
# Every phase opens with a ramp of short steps, ONSET_DT_S, ONSET_DT_S, 2x, 2x, 4x, 4x, ...
# for as long as they are shorter than the phase's step (1+1+2+2+4+4+8+8 = 30 s before
# 10 s steps): with 10 s steps throughout, the one-step lag of the regulation at the start
# of a 2 °C immersion of a hyperthermic body kept the dilated skin flow of the hot state
# for the whole first step and cooled the core 0.2-0.3 °C too fast (docs/whole_body.md).
ONSET_DT_S = 1.0


@njit(cache=True)
def onset_step(k: int) -> float:
    """Length [s] of the k-th opening step of a phase: ONSET_DT_S * 2 ** (k // 2)."""
    return ONSET_DT_S * 2.0 ** (k // 2)


@njit(cache=True)
def onset_ramp(dt_phase: float, duration: float) -> tuple[float, int]:
    """Length [s] and number of the opening steps of a phase (:func:`onset_step`); the
    rest of the phase runs at steps <= dt_phase."""
    onset = 0.0
    n = 0
    while True:
        h = onset_step(n)
        if h >= dt_phase or onset + h > duration - 1e-9:
            return onset, n
        onset += h
        n += 1


@njit(cache=True, inline="always")
def _liquid(temp: float, t_start: float, t_end: float) -> float:
    if temp >= t_start:
        return 1.0
    if temp <= t_end:
        return 0.0
    return (temp - t_end) / (t_start - t_end)


@njit(cache=True, inline="always")
def _temperature(h: float, cap: float, lat: float, t_start: float, t_end: float) -> float:
    h_end = cap * t_end
    h_start = cap * t_start + lat
    if h <= h_end:
        return h / cap
    if h >= h_start:
        return (h - lat) / cap
    return t_end + (h - h_end) / (h_start - h_end) * (t_start - t_end)


@njit(cache=True, inline="always")
def _interp_radius(temp_row: np.ndarray, r_row: np.ndarray, r: float) -> float:
    n = r_row.shape[0]
    if r <= r_row[0]:
        return temp_row[0]
    for j in range(1, n):
        if r <= r_row[j]:
            w = (r - r_row[j - 1]) / (r_row[j] - r_row[j - 1])
            return temp_row[j - 1] + w * (temp_row[j] - temp_row[j - 1])
    return temp_row[n - 1]


@njit(cache=True, inline="always")
def skin_flow_factor(err_cr, err_sk, receptor, dilate, constrict, dilate_age, out):
    """Skin blood flow over its basal value, per segment, by the JOS-3 vasomotor law.

    ``DILAT = max(100.5 e_cr + 6.4 (WRMS - CLDS), 0)``, ``STRIC = max(-10.8 e_cr
    - 10.8 (WRMS - CLDS), 0)`` and ``(1 + d_i a_i DILAT) / (1 + c_i STRIC) 2^(e_sk,i/6)``
    [Takahashi2021]_ (``a_i``: the ageing decrement of vasodilation).  ``err_cr`` is the
    head-core error, ``err_sk`` the skin errors [°C]; ``out`` receives the factors.
    Returns ``(WRMS, CLDS)``, which shivering and sweating use as well.
    """
    wrms = 0.0
    clds = 0.0
    for s in range(err_sk.shape[0]):
        e = err_sk[s]
        if e > 0.0:
            wrms += receptor[s] * e
        else:
            clds -= receptor[s] * e
    dil = max(100.5 * err_cr + 6.4 * (wrms - clds), 0.0)
    stric = max(-10.8 * err_cr - 10.8 * (wrms - clds), 0.0)
    for s in range(err_sk.shape[0]):
        out[s] = (
            (1.0 + dilate[s] * dilate_age[s] * dil)
            / (1.0 + constrict[s] * stric)
            * 2.0 ** (err_sk[s] / 6.0)
        )
    return wrms, clds


@njit(cache=True)
def _body(
    b,
    geo,
    phase_s,
    phase_v,
    n_phases,
    reg_s,
    reg_c,
    body_c,
    set_skin,
    set_core,
    probe_seg,
    probe_r,
    out_times,
    n_out,
    temp,
    blood,
    dt_max,
    regulate,
    skin_out,
    probe_out,
    core_out,
    frozen_out,
    energy,
):
    cap, lat, cond, perf, perf_skin, met, mshare, node_r, area = geo
    n_seg, n_node = cap.shape[1], cap.shape[2]
    n_probe = probe_seg.shape[1]
    skin = n_node - 1
    t_f0, t_f1 = reg_c[0], reg_c[1]
    rho_c_blood = reg_c[2]
    blood_cap, bmr, flow_scale = body_c[b, 0], body_c[b, 1], body_c[b, 2]
    civd_onset, civd_tau, civd_max = reg_c[3], reg_c[4], reg_c[5]
    ava_hand, ava_foot = reg_c[6], reg_c[7]
    lower = np.empty(n_node)
    diag = np.empty(n_node)
    upper = np.empty(n_node)
    rhs = np.empty(n_node)
    cp = np.empty(n_node)
    dp = np.empty(n_node)
    dq = np.empty(n_node)
    t_pred = np.empty(n_node)
    w_seg = np.empty((n_seg, n_node))
    x_seg = np.empty((n_seg, n_node))
    y_seg = np.empty((n_seg, n_node))
    surf_s = np.empty((n_seg, 5))
    skin_factor = np.ones(n_seg)
    err_sk = np.zeros(n_seg)
    surf_outer = temp[b, :, skin].copy()
    civd = np.zeros(2)
    prev_skin = temp[b, :, skin].copy()
    prev_probe = np.empty(n_probe)
    for k in range(n_probe):
        s = probe_seg[b, k]
        prev_probe[k] = _interp_radius(temp[b, s], node_r[b, s], probe_r[b, k])
    prev_core = 0.5 * (temp[b, _ABDOMEN, 0] + temp[b, _LUMBAR, 0])
    cur_probe = np.empty(n_probe)
    # enthalpy at start
    h0 = blood_cap * blood[b]
    for s in range(n_seg):
        for j in range(n_node):
            h0 += cap[b, s, j] * temp[b, s, j] + lat[b, s, j] * _liquid(temp[b, s, j], t_f0, t_f1)
    energy[b, 0] = h0
    next_out = 0
    for p in range(n_phases[b]):
        duration, t_begin = phase_s[b, p, 0], phase_s[b, p, 1]
        water_c, h_water, resp_c, resp_p, par = (
            phase_s[b, p, 2],
            phase_s[b, p, 3],
            phase_s[b, p, 4],
            phase_s[b, p, 5],
            phase_s[b, p, 6],
        )
        dt_phase = phase_s[b, p, 7] if phase_s[b, p, 7] > 0.0 else dt_max
        # The regulation lags one step behind the temperatures; where the surroundings
        # jump (the start of a phase) that lag matters most, so the phase opens with a
        # ramp of short steps (onset_ramp).
        onset, n_onset = onset_ramp(dt_phase, duration)
        n_main = (
            max(1, math.ceil((duration - onset) / dt_phase - 1e-9))
            if duration - onset > 1e-9
            else 0
        )
        n_steps = n_onset + n_main
        t_ramp = t_begin
        for step in range(n_steps):
            if step < n_onset:
                dt = onset_step(step)
                t_prev = t_ramp
                t_ramp += dt
            else:
                dt = (duration - onset) / n_main
                t_prev = t_begin + onset + (step - n_onset) * dt
            t_new = t_prev + dt
            # ---- 1. thermoregulation -------------------------------------------------
            shiv = 0.0
            sweat_sig = 0.0
            extra_hand = 0.0
            extra_foot = 0.0
            if regulate:
                err_cr = temp[b, _HEAD, 0] - set_core[b, _HEAD]
                err_msk = 0.0
                area_sum = 0.0
                for s in range(n_seg):
                    err_sk[s] = temp[b, s, skin] - set_skin[b, s]
                    err_msk += area[b, s] * err_sk[s]
                    area_sum += area[b, s]
                err_msk /= area_sum
                dilate_age = body_c[b, 4 : 4 + n_seg]
                wrms, clds = skin_flow_factor(
                    err_cr, err_sk, reg_s[0], reg_s[1], reg_s[2], dilate_age, skin_factor
                )
                shiv = max(24.36 * clds * (-err_cr), 0.0) * body_c[b, 3] * flow_scale
                sweat_sig = max(371.2 * err_cr + 33.64 * (wrms - clds), 0.0) * flow_scale
                # trunk-core error weighted by core capacity (chest, back, pelvis)
                wsum = 0.0
                err_bcr = 0.0
                for s in (_CHEST, _BACK, _ABDOMEN, _LUMBAR):
                    err_bcr += cap[b, s, 0] * (temp[b, s, 0] - set_core[b, s])
                    wsum += cap[b, s, 0]
                err_bcr /= wsum
                ava_h = min(
                    max(0.265 * (err_msk + 0.43) + 0.953 * (err_bcr + 0.1905) + 0.9126, 0.0), 1.0
                )
                ava_f = min(
                    max(0.265 * (err_msk - 0.997) + 0.953 * (err_bcr + 0.0095) + 0.9126, 0.0), 1.0
                )
                core_warm = min(
                    max((0.5 * (temp[b, _ABDOMEN, 0] + temp[b, _LUMBAR, 0]) - 36.0) / 0.5, 0.0), 1.0
                )
                for i in range(2):
                    seg = _HAND if i == 0 else _FOOT
                    drive = core_warm if temp[b, seg, skin] < civd_onset else 0.0
                    civd[i] += min(dt / civd_tau, 1.0) * (drive - civd[i])
                l_per_h = 1e-3 / 3600.0 * rho_c_blood * flow_scale
                extra_hand = l_per_h * (ava_hand * ava_h + civd_max * civd[0])
                extra_foot = l_per_h * (ava_foot * ava_f + civd_max * civd[1])
            q_work = (par - 1.0) * bmr
            q_total = 0.0
            for s in range(n_seg):
                for j in range(n_node):
                    q_total += met[b, s, j]
            q_total += q_work + shiv
            q_resp = 0.0014 * q_total * (34.0 - resp_c) + 0.0173 * q_total * (5.87 - resp_p)
            # ---- 2. segments: T = x + y * T_blood(new) -------------------------------
            # Each segment's system is solved for two right-hand sides: everything but
            # the arterial inflow (x), and the response to a unit blood temperature (y).
            # The new blood temperature then follows from the pool balance, so tissue and
            # blood are implicit together (backward Euler of the coupled system).
            w_total = 0.0
            wx_total = 0.0
            wy_total = 0.0
            for s in range(n_seg):
                q_musc = q_work * reg_s[5, s] + shiv * reg_s[3, s]
                extra_musc = q_musc / 1.163 * 1e-3 / 3600.0 * rho_c_blood  # [Takahashi2021]
                extra_skin = extra_hand if s == _HAND else (extra_foot if s == _FOOT else 0.0)
                skin_base = 0.0
                for j in range(n_node):
                    skin_base += perf_skin[b, s, j]
                for j in range(n_node):
                    w = (
                        perf[b, s, j]
                        + perf_skin[b, s, j] * skin_factor[s]
                        + extra_musc * mshare[b, s, j]
                    )
                    if skin_base > 0.0:
                        w += extra_skin * perf_skin[b, s, j] / skin_base
                    w_seg[s, j] = w
                    c_dt = cap[b, s, j] / dt
                    diag[j] = c_dt + w
                    rhs[j] = c_dt * temp[b, s, j] + met[b, s, j] + q_musc * mshare[b, s, j]
                    lower[j] = 0.0
                    upper[j] = 0.0
                if s == _CHEST:  # respiratory loss from the thoracic core, by perfusion
                    w01 = w_seg[s, 0] + w_seg[s, 1]
                    rhs[0] -= q_resp * w_seg[s, 0] / w01
                    rhs[1] -= q_resp * w_seg[s, 1] / w01
                for j in range(n_node - 1):
                    g = cond[b, s, j]
                    diag[j] += g
                    diag[j + 1] += g
                    upper[j] = -g
                    lower[j + 1] = -g
                # surface exchange (air part implicit, evaporation explicit; water part)
                ts = temp[b, s, skin]
                air = phase_v[b, p, 0, s]
                wall = phase_v[b, p, 1, s]
                h_f = phase_v[b, p, 2, s]
                d_t = abs(ts - air)
                nat_root = (
                    phase_v[b, p, 3, s]
                    * (0.825 + phase_v[b, p, 5, s] * (phase_v[b, p, 4, s] * d_t) ** (1.0 / 6.0))
                    ** 2
                )
                h_c = (h_f**3 + nat_root**3) ** (1.0 / 3.0)
                to_k = surf_outer[s] + 273.15
                tw_k = wall + 273.15
                h_r = phase_v[b, p, 6, s] * (to_k * to_k + tw_k * tw_k) * (to_k + tw_k)
                h_tot = h_c + h_r
                t_op = (h_c * air + h_r * wall) / h_tot if h_tot > 0.0 else air
                r_cl = phase_v[b, p, 8, s]
                f_cl = phase_v[b, p, 9, s]
                u_air = 1.0 / (r_cl + 1.0 / (f_cl * h_tot))
                wet = phase_v[b, p, 7, s]
                dry = 1.0 - wet
                p_sk = 0.61078 * math.exp(17.27 * ts / (ts + 237.3))
                r_e = r_cl / (0.38 * 16.5) + 1.0 / (f_cl * 16.5 * h_c)
                e_max = max(p_sk - phase_v[b, p, 10, s], 0.0) / r_e * area[b, s] * dry
                e_sweat = (
                    sweat_sig
                    * reg_s[4, s]
                    * body_c[b, 4 + n_seg + s]
                    * 2.0 ** ((ts - set_skin[b, s]) / 10.0)
                )
                wettedness = 0.06
                if e_max > 0.0:
                    wettedness = min(0.06 + 0.94 * e_sweat / e_max, 1.0)
                evap = wettedness * e_max
                g_s = area[b, s] * (dry * u_air + wet * h_water)
                g_t = area[b, s] * (dry * u_air * t_op + wet * h_water * water_c)
                diag[skin] += g_s
                rhs[skin] += g_t - evap
                surf_s[s, 0] = g_s
                surf_s[s, 1] = g_t
                surf_s[s, 2] = evap
                surf_s[s, 3] = t_op
                surf_s[s, 4] = u_air / (f_cl * h_tot) if dry > 0.0 else -1.0
                # Thomas, two right-hand sides (rhs -> x, w -> y)
                cp[0] = upper[0] / diag[0]
                dp[0] = rhs[0] / diag[0]
                dq[0] = w_seg[s, 0] / diag[0]
                for j in range(1, n_node):
                    den = diag[j] - lower[j] * cp[j - 1]
                    cp[j] = upper[j] / den
                    dp[j] = (rhs[j] - lower[j] * dp[j - 1]) / den
                    dq[j] = (w_seg[s, j] - lower[j] * dq[j - 1]) / den
                x_seg[s, n_node - 1] = dp[n_node - 1]
                y_seg[s, n_node - 1] = dq[n_node - 1]
                for j in range(n_node - 2, -1, -1):
                    x_seg[s, j] = dp[j] - cp[j] * x_seg[s, j + 1]
                    y_seg[s, j] = dq[j] - cp[j] * y_seg[s, j + 1]
                for j in range(n_node):
                    w_total += w_seg[s, j]
                    wx_total += w_seg[s, j] * x_seg[s, j]
                    wy_total += w_seg[s, j] * y_seg[s, j]
            # ---- 3. central blood: C (Tb' - Tb)/dt = sum w (T' - Tb'), T' = x + y Tb' ----
            c_b = blood_cap / dt
            blood[b] = (c_b * blood[b] + wx_total) / (c_b + w_total - wy_total)
            # ---- 4. tissues, surface ledger, freezing ----------------------------------
            surface = 0.0
            for s in range(n_seg):
                for j in range(n_node):
                    t_pred[j] = x_seg[s, j] + y_seg[s, j] * blood[b]
                surface += (surf_s[s, 0] * t_pred[skin] - surf_s[s, 1] + surf_s[s, 2]) * dt
                if surf_s[s, 4] >= 0.0:
                    surf_outer[s] = surf_s[s, 3] + (t_pred[skin] - surf_s[s, 3]) * surf_s[s, 4]
                for j in range(n_node):
                    old = temp[b, s, j]
                    if lat[b, s, j] > 0.0 and (t_pred[j] < t_f0 or old < t_f0):
                        h_old = cap[b, s, j] * old + lat[b, s, j] * _liquid(old, t_f0, t_f1)
                        h_new = h_old + cap[b, s, j] * (t_pred[j] - old)
                        temp[b, s, j] = _temperature(h_new, cap[b, s, j], lat[b, s, j], t_f0, t_f1)
                    else:
                        temp[b, s, j] = t_pred[j]
                # frozen depth from the surface inwards
                if temp[b, s, skin] < t_f0:
                    depth = 0.0
                    for j in range(n_node - 1, -1, -1):
                        if _liquid(temp[b, s, j], t_f0, t_f1) < 0.5:
                            depth = node_r[b, s, skin] - node_r[b, s, j]
                        else:
                            break
                    if depth > frozen_out[b, s]:
                        frozen_out[b, s] = depth
            energy[b, 2] += q_total * dt
            energy[b, 3] += surface
            energy[b, 4] += q_resp * dt
            # ---- outputs -----------------------------------------------------------
            if next_out < n_out[b] and out_times[b, next_out] <= t_new + 1e-9:
                for k in range(n_probe):
                    s = probe_seg[b, k]
                    cur_probe[k] = _interp_radius(temp[b, s], node_r[b, s], probe_r[b, k])
                cur_core = 0.5 * (temp[b, _ABDOMEN, 0] + temp[b, _LUMBAR, 0])
                while next_out < n_out[b] and out_times[b, next_out] <= t_new + 1e-9:
                    w = (out_times[b, next_out] - t_prev) / dt
                    w = min(max(w, 0.0), 1.0)
                    for s in range(n_seg):
                        skin_out[b, next_out, s] = prev_skin[s] + w * (
                            temp[b, s, skin] - prev_skin[s]
                        )
                    for k in range(n_probe):
                        probe_out[b, next_out, k] = prev_probe[k] + w * (
                            cur_probe[k] - prev_probe[k]
                        )
                    core_out[b, next_out] = prev_core + w * (cur_core - prev_core)
                    next_out += 1
            if next_out < n_out[b]:
                for s in range(n_seg):
                    prev_skin[s] = temp[b, s, skin]
                for k in range(n_probe):
                    s = probe_seg[b, k]
                    prev_probe[k] = _interp_radius(temp[b, s], node_r[b, s], probe_r[b, k])
                prev_core = 0.5 * (temp[b, _ABDOMEN, 0] + temp[b, _LUMBAR, 0])
    h1 = blood_cap * blood[b]
    for s in range(n_seg):
        for j in range(n_node):
            h1 += cap[b, s, j] * temp[b, s, j] + lat[b, s, j] * _liquid(temp[b, s, j], t_f0, t_f1)
    energy[b, 1] = h1


@njit(cache=True, parallel=True)
def run(
    geo,
    phase_s,
    phase_v,
    n_phases,
    reg_s,
    reg_c,
    body_c,
    set_skin,
    set_core,
    probe_seg,
    probe_r,
    out_times,
    n_out,
    temp,
    blood,
    dt_max,
    regulate,
    skin_out,
    probe_out,
    core_out,
    frozen_out,
    energy,
):  # pragma: no cover - compiled
    """Advance every body through its phases; arrays are updated in place.

    See :func:`cryotx.physics.wholebody.model.run_phases` for the array layout.
    """
    for b in prange(temp.shape[0]):
        _body(
            b,
            geo,
            phase_s,
            phase_v,
            n_phases,
            reg_s,
            reg_c,
            body_c,
            set_skin,
            set_core,
            probe_seg,
            probe_r,
            out_times,
            n_out,
            temp,
            blood,
            dt_max,
            regulate,
            skin_out,
            probe_out,
            core_out,
            frozen_out,
            energy,
        )
