"""NumPy reference path of the local engine's time loop (same scheme as the compiled kernel).

:func:`run_numpy` advances all patients together, vectorised over the patient axis, with
the arithmetic of :mod:`cryotx.physics._kernel` written as array expressions.  It is the
path the tests compare the compiled kernel against (1e-8 °C), and the one to read first:
the kernel fuses and reorders the same steps for speed.
"""

from __future__ import annotations

import numpy as np

from cryotx.physics._kernel import _np_q10_factor
from cryotx.physics._tridiag import solve_numpy

__all__ = ["run_numpy"]


def _liquid(temp: np.ndarray, t_start: float, t_end: float) -> np.ndarray:
    return np.clip((temp - t_end) * (1.0 / (t_start - t_end)), 0.0, 1.0)


def _temperature(
    h: np.ndarray, cap: np.ndarray, lat: np.ndarray, t_start: float, t_end: float
) -> np.ndarray:
    h_end = cap * t_end
    h_start = cap * t_start + lat
    mushy = t_end + (h - h_end) / np.maximum(h_start - h_end, 1e-300) * (t_start - t_end)
    return np.where(h <= h_end, h / cap, np.where(h >= h_start, (h - lat) / cap, mushy))


def _pack_temperature(e: np.ndarray, pack: np.ndarray) -> np.ndarray:
    c_solid, c_liquid, lat, t_melt = pack[:, 0], pack[:, 1], pack[:, 2], pack[:, 3]
    return np.where(
        e < 0.0, t_melt + e / c_solid, np.where(e <= lat, t_melt, t_melt + (e - lat) / c_liquid)
    )


def _probe(
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


def _safe(x: np.ndarray) -> np.ndarray:
    return np.where(x != 0.0, x, 1.0)


def _below(v_old: np.ndarray, v_new: np.ndarray, thr: float) -> tuple[np.ndarray, np.ndarray]:
    """(is below at the step end, fraction of the step below ``thr``), linear in the step."""
    now = v_new <= thr
    falling = np.where(v_old <= thr, 1.0, (thr - v_new) / _safe(v_old - v_new))
    rising = np.where(v_old <= thr, (thr - v_old) / _safe(v_new - v_old), 0.0)
    return now, np.where(now, falling, rising)


def _tridiag_step(
    cap_dt: np.ndarray,
    diag_coef: np.ndarray,
    rhs_temp: np.ndarray,
    ctx: dict[str, np.ndarray],
) -> np.ndarray:
    """Solve ``(diag_coef cap_dt + P + G) T - G T_nb = cap_dt rhs_temp + sources``."""
    diag = diag_coef * cap_dt + ctx["pf"] + ctx["gsum"]
    diag[:, 0] += ctx["gs"]
    rhs = cap_dt * rhs_temp + ctx["pf"] * ctx["t_core"][:, None] + ctx["mt"]
    rhs[:, 0] += ctx["gs"] * ctx["tx"]
    rhs[ctx["rows"], ctx["last"]] += ctx["gdeep"] * ctx["t_core"]
    return solve_numpy(ctx["lower"], diag, ctx["upper"], rhs)


def run_numpy(
    arrays: dict[str, np.ndarray], phys: np.ndarray, n_out: int, *, scheme: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Same as :func:`cryotx.physics._kernel.run_numba`, vectorised over patients."""
    a = arrays
    cap, lat, perf0, met0, vcw = a["cap"], a["lat"], a["perf0"], a["met0"], a["vcw"]
    tinit, gface, depth = a["tinit"], a["gface"], a["depth"]
    n_patients, n = cap.shape
    q10p, q10m, vc_on, vc_full, tau_on, tau_off, f_start, f_end, civd_skin, an_c, nerve_c = (
        float(x) for x in phys
    )
    q10p = np.log(q10p) / 10.0
    q10m = np.log(q10m) / 10.0
    inv_range = 1.0 / (f_start - f_end)
    temp = tinit.copy()
    told = tinit.copy()
    out = np.full((n_patients, a["probe_lo"].shape[1], n_out), np.nan)
    rows = np.arange(n_patients)
    vc = np.zeros(n_patients)
    e_pack = a["pack"][:, 4].copy()
    e_prev = e_pack.copy()
    e_surf = np.zeros(n_patients)
    e_src = np.zeros(n_patients)
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
    gsurf = a["gsurf"]
    t_surf = (gsurf * temp[:, 0] + a["h_amb"] * a["t_amb"]) / (gsurf + a["h_amb"])
    pv = _probe(temp, t_surf, t_core, a["probe_lo"], a["probe_hi"], a["probe_w"])
    pv2 = pv.copy()
    out[:, :, 0] = pv
    v_prev = t_surf
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
    seg = np.zeros(n_patients, dtype=np.int64)
    seg_k = np.zeros(n_patients, dtype=np.int64)
    h_cur = np.ones(n_patients)
    h_prev = np.ones(n_patients)
    t_new = np.zeros(n_patients)
    t_prev2 = np.zeros(n_patients)
    hist = np.zeros(n_patients)
    for step in range(1, int(a["n_steps"].max()) + 1):
        running = step <= a["n_steps"]
        # step size and scheme coefficients (see _kernel._step_coefficients)
        n_in = a["seg_ngrad"][rows, seg] + a["seg_nu"][rows, seg]
        advance = (seg_k >= n_in) & (seg < a["n_seg"] - 1)
        seg = np.where(advance, seg + 1, seg)
        seg_k = np.where(advance, 0, seg_k)
        ngrad = a["seg_ngrad"][rows, seg]
        n_in = ngrad + a["seg_nu"][rows, seg]
        h_u = a["seg_hu"][rows, seg]
        h = np.where(
            seg_k == 0,
            np.where(ngrad > 0, a["grade_h0"], h_u),
            np.where(seg_k < ngrad, h_cur * a["grade_r"], h_u),
        )
        h_cur = h
        t_old = t_new
        t_new = np.where(seg_k == n_in - 1, a["seg_end"][rows, seg], t_old + h)
        bdf2 = (scheme == 1) & (seg_k > 0) & (hist > 0.0)
        omega = h / h_prev
        a0 = np.where(bdf2, (1.0 + 2.0 * omega) / (1.0 + omega), 1.0)
        a2 = np.where(bdf2, omega * omega / (1.0 + omega), 0.0)
        a1 = np.where(bdf2, a0 + a2, 1.0)
        ex = np.where(bdf2, omega, 0.0)
        inv_h = 1.0 / h
        # boundary
        t_mid = t_old + 0.5 * h
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
        e_prev = np.where(fresh, a["pack"][:, 4], e_prev)
        last_app = np.where(on, active, last_app)
        e_eval = e_pack + ex * (e_pack - e_prev)
        agent = np.where(a["mode"] == 1, _pack_temperature(e_eval, a["pack"]), a["agent_c"])
        hx = np.where(on, a["h_ext"], a["h_amb"])
        tx = np.where(on, agent, a["t_amb"])
        gs = gsurf * hx / (gsurf + hx)
        # vasoconstriction toward the target of the skin at mid-step
        t_skin = temp[:, 0] + 0.5 * ex * (temp[:, 0] - told[:, 0])
        target = np.clip((vc_on - t_skin) / (vc_on - vc_full), 0.0, 1.0)
        start_active = a["app_start"][rows, np.maximum(active, 0)]
        civd = on & (t_mid - start_active >= a["civd_onset"]) & (t_skin < civd_skin)
        target = np.where(civd, 0.0, target)
        decay = np.where(target > vc, 1.0 - np.exp(-h / tau_on), 1.0 - np.exp(-h / tau_off))
        vc = np.where(running, vc + (target - vc) * decay, vc)
        # perfusion and metabolism at T* (T[n], or extrapolated to t[n+1] in BDF2)
        te = temp + ex[:, None] * (temp - told)
        dti = te - tinit
        liq = np.clip((te - f_end) * inv_range, 0.0, 1.0)
        pf = perf0 * _np_q10_factor(q10p * dti) * (1.0 - vcw * vc[:, None]) * liq
        mt = met0 * _np_q10_factor(q10m * dti) * liq
        mushy = (temp > f_end) & (temp < f_start)
        c = (cap + np.where(mushy, lat * inv_range, 0.0)) * inv_h[:, None]
        ctx = {
            "pf": pf,
            "mt": mt,
            "gsum": gsum,
            "gs": gs,
            "tx": tx,
            "t_core": t_core,
            "rows": rows,
            "last": last,
            "gdeep": a["gdeep"],
            "lower": lower,
            "upper": upper,
        }
        sol = _tridiag_step(c, a0[:, None], a1[:, None] * temp - a2[:, None] * told, ctx)
        phase: np.ndarray = np.asarray(((temp < f_start) | (sol < f_start)).any(axis=1))
        new = sol
        if phase.any():
            # backward Euler with the enthalpy correction, then the secant pass [Pham1985]
            hh = h[:, None]
            sol1 = sol  # the main solve was this backward-Euler step, unless it was BDF2
            if (phase & bdf2).any():
                euler = _tridiag_step(c, np.ones((n_patients, 1)), temp, ctx)
                sol1 = np.where(bdf2[:, None], euler, sol)
            h_old = cap * temp + lat * _liquid(temp, f_start, f_end)
            warm = (temp >= f_start) & (sol1 >= f_start)
            first = np.where(
                warm, sol1, _temperature(h_old + c * hh * (sol1 - temp), cap, lat, f_start, f_end)
            )
            step_t = first - temp
            h_first = cap * first + lat * _liquid(first, f_start, f_end)
            secant = np.where(np.abs(step_t) > 1e-9, (h_first - h_old) / _safe(step_t) / hh, c)
            sol2 = _tridiag_step(secant, np.ones((n_patients, 1)), temp, ctx)
            second = _temperature(h_old + secant * hh * (sol2 - temp), cap, lat, f_start, f_end)
            sol = np.where(phase[:, None], sol2, sol)
            new = np.where(phase[:, None], second, sol)
            a0 = np.where(phase, 1.0, a0)
            a2 = np.where(phase, 0.0, a2)
        src = mt.sum(axis=1) + (pf * (t_core[:, None] - sol)).sum(axis=1)
        src += a["gdeep"] * (t_core - sol[rows, last])
        q_in = gs * (tx - sol[:, 0])
        # energy change of the step (see _kernel._run_block)
        e_surf = np.where(running, (h * q_in + a2 * e_surf) / a0, e_surf)
        e_src = np.where(running, (h * src + a2 * e_src) / a0, e_src)
        q_surface += np.where(running, e_surf, 0.0)
        q_source += np.where(running, e_src, 0.0)
        told = np.where(running[:, None], temp, told)
        temp = np.where(running[:, None], new, temp)
        in_pack = on & (a["mode"] == 1) & running
        e_next = e_pack - e_surf + h * a["pack"][:, 5] * (a["t_amb"] - tx)
        e_prev = np.where(in_pack, e_pack, e_prev)
        e_pack = np.where(in_pack, e_next, e_pack)
        hist = np.where(running, 1.0 - phase, hist)
        h_prev = np.where(running, h, h_prev)
        seg_k = np.where(running, seg_k + 1, seg_k)
        # metrics
        t_surf = (gsurf * temp[:, 0] + hx * tx) / (gsurf + hx)
        vp = v_prev
        v_prev = np.where(running, t_surf, v_prev)
        skin_min = np.where(running, np.minimum(skin_min, t_surf), skin_min)
        now_an, frac_an = _below(vp, t_surf, an_c)
        now_10, frac_10 = _below(vp, t_surf, nerve_c)
        below_an += np.where(running, frac_an * h, 0.0)
        below_10 += np.where(running, frac_10 * h, 0.0)
        t_an = np.where(running & now_an & (t_an < 0.0), t_new - frac_an * h, t_an)
        t_10 = np.where(running & now_10 & (t_10 < 0.0), t_new - frac_10 * h, t_10)
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
        # outputs in (t_old, t_new]: quadratic through the last three step ends of a
        # segment, linear in a segment's first step
        v2 = _probe(temp, t_surf, t_core, a["probe_lo"], a["probe_hi"], a["probe_w"])
        quad = (seg_k > 1)[:, None]
        t0, t1, t2 = t_prev2[:, None], t_old[:, None], t_new[:, None]
        while True:
            due = running & (k_out < n_out) & (k_out * a["out_dt"] <= t_new + 1e-9 * (1.0 + t_new))
            if not due.any():
                break
            tt = (k_out * a["out_dt"])[:, None]
            l0 = (tt - t1) * (tt - t2) / _safe((t0 - t1) * (t0 - t2))
            l1 = (tt - t0) * (tt - t2) / _safe((t1 - t0) * (t1 - t2))
            l2 = (tt - t0) * (tt - t1) / _safe((t2 - t0) * (t2 - t1))
            x = (tt - t1) / _safe(t2 - t1)
            value = np.where(quad, l0 * pv2 + l1 * pv + l2 * v2, pv + x * (v2 - pv))
            idx = np.nonzero(due)[0]
            out[idx, :, k_out[idx]] = value[idx]
            k_out[idx] += 1
        pv2 = np.where(running[:, None], pv, pv2)
        pv = np.where(running[:, None], v2, pv)
        t_prev2 = np.where(running, t_old, t_prev2)
    metrics = np.stack(
        [skin_min, t_an, t_10, below_an, below_10, frozen, q_surface, q_source], axis=1
    )
    return out, metrics, temp
