"""Heat exchange at the body surface, valid from cryogenic air to warm water.

* **Convection in air.** Air properties are evaluated at the film temperature
  (viscosity and conductivity by Sutherland's law [White2006]_, ideal-gas density), so the
  coefficients hold at −110 to −195 °C, where cold air is denser and less viscous than
  room air.  Natural convection: Churchill–Chu for a vertical surface [ChurchillChu1975]_
  whose length runs from where the segment's boundary layer starts (the floor for legs,
  trunk and head, the fingertips for the arms: :data:`segments.BOUNDARY_LAYER_START_FRAC`)
  to the segment's top, evaluated every time step with the current skin temperature.  Forced convection: Churchill–Bernstein for a cylinder in cross flow
  [ChurchillBernstein1977]_.  Mixed: ``h = (h_nat^3 + h_forced^3)^(1/3)``
  [Churchill1977]_.
* **Radiation** is solved with the actual wall temperature: the coefficient
  ``eps f_eff sigma (T_s^2 + T_w^2)(T_s + T_w)`` is updated every step from the current
  surface temperature (skin emissivity 0.98 [Steketee1973]_, effective radiating area
  0.725 of the skin for a standing person [Fanger1970]_).  JOS-3 uses fixed room-temperature
  coefficients (about 4.5 W/m²K), which overstate radiation to a −110 °C wall by half.
* **Clothing and protective gear** add an intrinsic insulation per segment (code table
  ``CLOTHING``) and an area factor ``f_cl = 1 + 0.31 I_cl`` [McCullough1984]_.
* **Water immersion**: a convective coefficient of 230 W/m²K in still water at rest
  [Nadel1974]_ on the wetted fraction of each segment, which follows the water level
  (standing landmarks, :data:`segments.VERTICAL_SPAN_FRAC`); arms stay out of the water
  unless it reaches the shoulders.
* **Evaporation**: diffusion through the skin (wettedness 0.06) plus regulatory sweat,
  with the Lewis relation 16.5 K/kPa [Gagge1986]_; none on wetted skin.

References
----------
.. [White2006] F. M. White, Viscous Fluid Flow, 3rd ed., McGraw-Hill, 2006, Table 1-2.
.. [ChurchillChu1975] S. W. Churchill, H. H. S. Chu, "Correlating equations for laminar
   and turbulent free convection from a vertical plate," Int. J. Heat Mass Transfer,
   vol. 18, pp. 1323-1329, 1975. :doi:`10.1016/0017-9310(75)90243-4`
.. [ChurchillBernstein1977] S. W. Churchill, M. Bernstein, "A correlating equation for
   forced convection from gases and liquids to a circular cylinder in crossflow,"
   J. Heat Transfer, vol. 99, pp. 300-306, 1977. :doi:`10.1115/1.3450685`
.. [Churchill1977] S. W. Churchill, "A comprehensive correlating equation for laminar,
   assisting, forced and free convection," AIChE J., vol. 23, pp. 10-16, 1977.
   :doi:`10.1002/aic.690230103`
.. [Steketee1973] J. Steketee, "Spectral emissivity of skin and pericardium," Phys. Med.
   Biol., vol. 18, pp. 686-694, 1973. :doi:`10.1088/0031-9155/18/5/307`
.. [Fanger1970] P. O. Fanger, Thermal Comfort, Danish Technical Press, 1970.
.. [McCullough1984] E. A. McCullough, B. W. Jones, "A comprehensive data base for
   estimating clothing insulation," ASHRAE Research Project 411, 1984.
.. [Nadel1974] E. R. Nadel, I. Holmér, U. Bergh, P.-O. Åstrand, J. A. J. Stolwijk,
   "Energy exchanges of swimming man," J. Appl. Physiol., vol. 36, pp. 465-471, 1974.
   :doi:`10.1152/jappl.1974.36.4.465`
.. [Gagge1986] A. P. Gagge, A. P. Fobelets, L. G. Berglund, "A standard predictive index
   of human response to the thermal environment," ASHRAE Trans., vol. 92, pp. 709-731,
   1986.
.. [ISO9920] ISO 9920:2007, Ergonomics of the thermal environment - Estimation of thermal
   insulation and water vapour resistance of a clothing ensemble.
"""

from __future__ import annotations

import numpy as np

from cryotx.physics.wholebody.segments import (
    BOUNDARY_LAYER_START_FRAC,
    N_SEGMENTS,
    SEGMENT_INDEX,
    VERTICAL_SPAN_FRAC,
)

__all__ = [
    "CLOTHING",
    "CLO_M2K_PER_W",
    "EMISSIVITY_SKIN",
    "IMMERSION_LEVELS",
    "INDOOR_CLOTHING",
    "LEWIS_K_PER_KPA",
    "RADIATING_AREA_FRAC",
    "SIGMA_W_PER_M2_K4",
    "WATER_STILL_H_W_PER_M2_K",
    "WATER_STIRRED_H_W_PER_M2_K",
    "clothing_insulation",
    "convection_terms",
    "saturation_pressure_kpa",
    "wetted_fraction",
]

SIGMA_W_PER_M2_K4 = 5.670374419e-8  # Stefan-Boltzmann constant (CODATA 2018)
EMISSIVITY_SKIN = 0.98  # [Steketee1973]
RADIATING_AREA_FRAC = 0.725  # standing person [Fanger1970]
LEWIS_K_PER_KPA = 16.5  # Lewis relation [Gagge1986]
CLO_M2K_PER_W = 0.155  # 1 clo [ISO9920]
WATER_STILL_H_W_PER_M2_K = 230.0  # resting in still water [Nadel1974]
# Stirred / circulated bath. [Nadel1974] report coefficients rising with water speed to
# several hundred W/m²K; 460 is a round value inside their range at about 0.5 m/s.
WATER_STIRRED_H_W_PER_M2_K = 460.0  # [Nadel1974] (order of magnitude, see docs/whole_body.md)
_G_M_PER_S2 = 9.80665
_P_ATM_PA = 101325.0
_R_AIR_J_PER_KG_K = 287.05
_CP_AIR_J_PER_KG_K = 1006.0  # within 1 % from 150 to 320 K [White2006]

# Local intrinsic insulation of protective gear on the segments it covers [clo].
# Whole-body garment values of [ISO9920] / [McCullough1984] divided by the share of the body
# surface the garment covers, rounded; they are estimates (not measured locally) and say
# so in docs/whole_body.md.  A code may cover several segments.
CLOTHING: dict[str, dict[str, float]] = {
    "none": {},
    "shorts": {"abdomen": 0.5, "lumbar": 0.5, "thigh": 0.2},  # shorts 0.06 clo / ~15 % BSA
    "briefs": {"abdomen": 0.3, "lumbar": 0.3},  # briefs 0.04 clo / ~8 % BSA
    "swimsuit": {"abdomen": 0.3, "lumbar": 0.3},
    "bra": {"chest": 0.2},
    "gloves": {"hand": 1.0},  # thick gloves ~0.05 clo / 5 % BSA
    "socks": {"foot": 0.5},  # ankle socks 0.02-0.03 clo / 6 % BSA
    "wool_socks": {"foot": 0.7, "leg": 0.1},
    "socks_clogs": {"foot": 1.0},  # socks + clogs or slippers
    "slippers": {"foot": 0.4},
    "headband": {"head": 0.15},  # ear band covers ~15 % of the head
    "mask": {"head": 0.1},  # mouth-nose mask ~10 % of the head
    "t_shirt": {"chest": 0.5, "back": 0.5, "upper_arm": 0.3},  # T-shirt 0.08 clo / ~25 % BSA
    "trousers": {
        "abdomen": 0.3,
        "lumbar": 0.3,
        "thigh": 0.5,
        "knee": 0.5,
        "leg": 0.5,
    },  # 0.15-0.25 clo
}
#: What people wear in the room before and after a session (assumption: light indoor wear,
#: about 0.5 clo whole-body as in [ISO9920] "trousers, T-shirt, socks, shoes").
INDOOR_CLOTHING: tuple[str, ...] = ("t_shirt", "trousers", "briefs", "socks_clogs")

# Water level of named immersion depths, standing, as fractions of body height
# (Drillis & Contini landmarks via [Winter2009] Fig. 4.1: ankle 0.039, knee 0.285,
# hip 0.530, elbow/waist 0.630, nipple 0.720, shoulder 0.818, chin 0.870).  The iliac crest
# is put at 0.59 H, between hip and waist (ASSUMPTION, anthropometric tables vary).
IMMERSION_LEVELS: dict[str, float] = {
    "ankle": 0.039,
    "knee": 0.285,
    "hip": 0.530,
    "iliac_crest": 0.59,
    "waist": 0.630,
    "umbilicus": 0.630,
    "nipple": 0.720,
    "xiphoid": 0.720,
    "shoulder": 0.818,
    "neck": 0.870,
}
_ARMS = ("upper_arm", "forearm", "hand")


def saturation_pressure_kpa(temp_c: np.ndarray | float) -> np.ndarray:
    """Saturation vapour pressure over water, Tetens' formula [kPa] (ISO 7730 form)."""
    t = np.asarray(temp_c, dtype=np.float64)
    return 0.61078 * np.exp(17.27 * t / (t + 237.3))


def _air(temp_c: np.ndarray) -> tuple[np.ndarray, ...]:
    """Air properties at temp_c: conductivity, kinematic viscosity, diffusivity, Prandtl."""
    t_k = np.asarray(temp_c, dtype=np.float64) + 273.15
    mu = 1.716e-5 * (t_k / 273.15) ** 1.5 * (273.15 + 110.4) / (t_k + 110.4)  # [White2006]
    k = 0.0241 * (t_k / 273.15) ** 1.5 * (273.15 + 194.0) / (t_k + 194.0)  # [White2006]
    rho = _P_ATM_PA / (_R_AIR_J_PER_KG_K * t_k)
    nu = mu / rho
    alpha = k / (rho * _CP_AIR_J_PER_KG_K)
    return k, nu, alpha, nu / alpha


def convection_terms(
    air_c: np.ndarray,
    *,
    air_speed_m_per_s: np.ndarray,
    outer_radius_m: np.ndarray,
    height_m: np.ndarray,
    skin_guess_c: float = 30.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-segment coefficients of the convection model in air.

    Parameters
    ----------
    air_c : ndarray (n, N_SEGMENTS)
        Air (gas) temperature at each segment [°C].
    air_speed_m_per_s : ndarray (n, N_SEGMENTS)
        Air speed relative to the body [m/s].
    outer_radius_m : ndarray (n, N_SEGMENTS)
        Equivalent radius of each segment [m].
    height_m : ndarray (n,)
        Body height [m] (sets each segment's boundary-layer length).
    skin_guess_c : float
        Skin temperature used only for the film temperature of the air properties [°C].

    Returns
    -------
    h_forced, k_over_l, ra_per_k, cc_coef : ndarray (n, N_SEGMENTS)
        Forced coefficient [W/m²K]; and the Churchill-Chu terms so that the natural
        coefficient at a skin-air difference dT is
        ``k_over_l * (0.825 + cc_coef * (ra_per_k * |dT|)^(1/6))^2`` [W/m²K].
    """
    film_c = 0.5 * (air_c + skin_guess_c)
    k, nu, alpha, pr = _air(film_c)
    diameter = 2.0 * outer_radius_m
    re = air_speed_m_per_s * diameter / nu
    nu_forced = (
        0.3
        + (0.62 * np.sqrt(re) * pr ** (1 / 3))
        / (1 + (0.4 / pr) ** (2 / 3)) ** 0.25
        * (1 + (re / 282000.0) ** 0.625) ** 0.8
    )  # [ChurchillBernstein1977]
    h_forced = np.where(re > 0.0, nu_forced * k / diameter, 0.0)
    span = (VERTICAL_SPAN_FRAC[:, 1] - BOUNDARY_LAYER_START_FRAC)[None, :] * height_m[:, None]
    beta = 1.0 / (film_c + 273.15)
    ra_per_k = _G_M_PER_S2 * beta * span**3 / (nu * alpha)
    cc_coef = 0.387 / (1 + (0.492 / pr) ** (9 / 16)) ** (8 / 27)  # [ChurchillChu1975]
    return h_forced, k / span, ra_per_k, cc_coef


def clothing_insulation(codes: list[str], *, field: str) -> np.ndarray:
    """Intrinsic insulation per segment [m²K/W] of a list of gear codes (summed).

    Raises
    ------
    InputError
        For a code not in :data:`CLOTHING`, naming ``field.<index>``.
    """
    from cryotx.errors import InputError

    clo = np.zeros(N_SEGMENTS)
    for i, code in enumerate(codes):
        if code not in CLOTHING:
            known = ", ".join(sorted(CLOTHING))
            raise InputError(f"{field}.{i}", f"unknown clothing code {code!r} (known: {known})")
        for segment, value in CLOTHING[code].items():
            clo[SEGMENT_INDEX[segment]] += value
    return clo * CLO_M2K_PER_W


def wetted_fraction(level_frac: float) -> np.ndarray:
    """Wetted fraction of each segment for a water level at ``level_frac`` of body height."""
    lo, hi = VERTICAL_SPAN_FRAC[:, 0], VERTICAL_SPAN_FRAC[:, 1]
    frac = np.clip((level_frac - lo) / (hi - lo), 0.0, 1.0)
    if level_frac < IMMERSION_LEVELS["shoulder"]:
        for name in _ARMS:
            frac[SEGMENT_INDEX[name]] = 0.0
    return frac
