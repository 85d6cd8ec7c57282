"""Thermoregulation constants: vasomotion, shivering, sweating, AVA and CIVD.

The control structure and gains are those of JOS-3 [Takahashi2021]_ (after [Tanabe2002]_
and [Stolwijk1971]_): error signals are the differences between the current and the
set-point temperatures of the head core and of each skin segment; set points are the
body's own passive steady state in a neutral environment (recomputed for each body).

.. math::

    \\mathrm{WRMS} = \\sum_i r_i \\max(e_{sk,i}, 0), \\quad
    \\mathrm{CLDS} = \\sum_i r_i \\max(-e_{sk,i}, 0)

    \\mathrm{DILAT} = \\max(100.5\\, e_{cr} + 6.4 (\\mathrm{WRMS}-\\mathrm{CLDS}), 0), \\quad
    \\mathrm{STRIC} = \\max(-10.8\\, e_{cr} - 10.8 (\\mathrm{WRMS}-\\mathrm{CLDS}), 0)

    BF_{sk,i} = BFB_{sk,i} \\frac{1 + d_i\\,\\mathrm{DILAT}}{1 + c_i\\,\\mathrm{STRIC}}
    \\, 2^{e_{sk,i}/6}

    Q_{shiv} = \\max(24.36\\, \\mathrm{CLDS}\\, (-e_{cr}), 0)

Arteriovenous anastomoses in hands and feet open with the mean skin and trunk-core errors
(Takemori 1995 as implemented in [Takahashi2021]_). Cold-induced vasodilation (CIVD),
absent from JOS-3, is added for hands and feet as a first-order opening of skin blood
flow when local skin falls below ``CIVD_ONSET_C``, with the onset delay of [Daanen2003]_
and suppressed when the core is cooled [Daanen2003]_; its size is an assumption and it
does not oscillate (a documented simplification).

References
----------
.. [Daanen2003] H. A. M. Daanen, "Finger cold-induced vasodilation: a review,"
   European Journal of Applied Physiology, vol. 89, pp. 411-426, 2003.
   :doi:`10.1007/s00421-003-0818-2`
.. [RozaShizgal1984] A. M. Roza, H. M. Shizgal, "The Harris Benedict equation
   reevaluated: resting energy requirements and the body cell mass," American Journal of
   Clinical Nutrition, vol. 40, pp. 168-182, 1984. :doi:`10.1093/ajcn/40.1.168`
"""

from __future__ import annotations

import math

import numpy as np

from cryotx.physics.wholebody.segments import jos3_extensive, jos3_intensive

__all__ = [
    "AVA_FOOT_L_PER_H",
    "AVA_HAND_L_PER_H",
    "BFB_CORE_L_PER_H",
    "BFB_FAT_L_PER_H",
    "BFB_MUSCLE_L_PER_H",
    "BFB_SKIN_L_PER_H",
    "CARDIAC_INDEX_L_PER_MIN_M2",
    "CIVD_MAX_L_PER_H",
    "CIVD_ONSET_C",
    "CIVD_TAU_S",
    "JOS3_STANDARD_BSA_M2",
    "LOCAL_BSA_FRAC",
    "MET_CORE_FRAC",
    "MET_FAT_FRAC",
    "MET_MUSCLE_FRAC",
    "MET_SKIN_FRAC",
    "RECEPTOR_WEIGHT",
    "SHIVER_FRAC",
    "SKIN_CONSTRICT",
    "SKIN_DILATE",
    "SWEAT_FRAC",
    "WORK_FRAC",
    "age_factors",
    "basal_metabolic_rate_w",
]

# --- Surface area distribution, JOS-3 standard body (1.72 m, 74.43 kg) ---------------
_LOCAL_BSA_M2 = [0.110, 0.029, 0.175, 0.161, 0.221, 0.096, 0.063, 0.050, 0.096, 0.063,
                 0.050, 0.209, 0.112, 0.056, 0.209, 0.112, 0.056]  # [Takahashi2021] Table 1  # fmt: skip
JOS3_STANDARD_BSA_M2 = float(sum(_LOCAL_BSA_M2))
LOCAL_BSA_FRAC = jos3_extensive(_LOCAL_BSA_M2) / JOS3_STANDARD_BSA_M2

# --- Basal blood flows of the standard body [L/h] ------------------------------------
BFB_SKIN_L_PER_H = jos3_extensive(
    [1.754, 0.325, 1.967, 1.475, 2.272, 0.91, 0.508, 1.114, 0.91, 0.508, 1.114, 1.456,
     0.651, 0.934, 1.456, 0.651, 0.934]  # [Takahashi2021] (BFBsk, from [Tanabe2002])
)  # fmt: skip
BFB_CORE_L_PER_H = jos3_extensive(
    [35.251, 15.240, 89.214, 87.663, 18.686, 1.808, 0.940, 0.217, 1.808, 0.940, 0.217,
     1.406, 0.164, 0.080, 1.406, 0.164, 0.080]  # [Takahashi2021] (CBFB, from [Tanabe2002])
)  # fmt: skip
BFB_MUSCLE_L_PER_H = jos3_extensive(
    [0.682] + [0.0] * 3 + [12.614] + [0.0] * 12  # [Takahashi2021] (MSBFB)
)
BFB_FAT_L_PER_H = jos3_extensive(
    [0.265] + [0.0] * 3 + [2.219] + [0.0] * 12  # [Takahashi2021] (FTBFB)
)
CARDIAC_INDEX_L_PER_MIN_M2 = 2.59  # [Takahashi2021] default cardiac index at rest

# --- Vasomotor gains per segment [-] ------------------------------------------------
SKIN_DILATE = jos3_intensive(
    [0.0692, 0.0992, 0.0580, 0.0679, 0.0707, 0.0400, 0.0373, 0.0632, 0.0400, 0.0373,
     0.0632, 0.0736, 0.0411, 0.0623, 0.0736, 0.0411, 0.0623]  # [Takahashi2021] SKIND
)  # fmt: skip
SKIN_CONSTRICT = jos3_intensive(
    [0.0213, 0.0213, 0.0638, 0.0638, 0.0638, 0.0213, 0.0213, 0.1489, 0.0213, 0.0213,
     0.1489, 0.0213, 0.0213, 0.1489, 0.0213, 0.0213, 0.1489]  # [Takahashi2021] SKINC
)  # fmt: skip
RECEPTOR_WEIGHT = jos3_extensive(
    [0.0549, 0.0146, 0.1492, 0.1321, 0.2122, 0.0227, 0.0117, 0.0923, 0.0227, 0.0117,
     0.0923, 0.0501, 0.0251, 0.0167, 0.0501, 0.0251, 0.0167]  # [Takahashi2021] SKINR
)  # fmt: skip
SHIVER_FRAC = jos3_extensive(
    [0.0339, 0.0436, 0.27394, 0.24102, 0.38754, 0.00243, 0.00137, 0.0002, 0.00243,
     0.00137, 0.0002, 0.0039, 0.00175, 0.00035, 0.0039, 0.00175, 0.00035]  # [Takahashi2021] CHILF
)  # fmt: skip
SWEAT_FRAC = jos3_extensive(
    [0.064, 0.017, 0.146, 0.129, 0.206, 0.051, 0.026, 0.0155, 0.051, 0.026, 0.0155,
     0.073, 0.036, 0.0175, 0.073, 0.036, 0.0175]  # [Takahashi2021] SKINS
)  # fmt: skip
WORK_FRAC = jos3_extensive(
    [0, 0, 0.091, 0.08, 0.129, 0.0262, 0.0139, 0.005, 0.0262, 0.0139, 0.005, 0.2010,
     0.0990, 0.005, 0.2010, 0.0990, 0.005]  # [Takahashi2021] (work distribution)
)  # fmt: skip

# The published distributions sum to 1 within 2e-4; normalised so that heat is conserved.
WORK_FRAC = WORK_FRAC / WORK_FRAC.sum()
SHIVER_FRAC = SHIVER_FRAC / SHIVER_FRAC.sum()

# --- Basal metabolism distribution [-] (fractions of whole-body BMR) ----------------
MET_CORE_FRAC = jos3_extensive(
    [0.19551, 0.00324, 0.28689, 0.25677, 0.09509, 0.01435, 0.00409, 0.00106, 0.01435,
     0.00409, 0.00106, 0.01557, 0.00422, 0.00250, 0.01557, 0.00422, 0.00250]  # [Takahashi2021] MBFcr
)  # fmt: skip
MET_MUSCLE_FRAC = jos3_extensive([0.00252] + [0.0] * 3 + [0.04804] + [0.0] * 12)  # [Takahashi2021]
MET_FAT_FRAC = jos3_extensive([0.00127] + [0.0] * 3 + [0.00950] + [0.0] * 12)  # [Takahashi2021]
MET_SKIN_FRAC = jos3_extensive(
    [0.00152, 0.00033, 0.00211, 0.00187, 0.00300, 0.00059, 0.00031, 0.00059, 0.00059,
     0.00031, 0.00059, 0.00144, 0.00027, 0.00118, 0.00144, 0.00027, 0.00118]  # [Takahashi2021] MBFsk
)  # fmt: skip

# --- Arteriovenous anastomoses (both hands / both feet) [L/h] -----------------------
AVA_HAND_L_PER_H = 2 * 1.71  # [Takahashi2021] (after Takemori 1995)
AVA_FOOT_L_PER_H = 2 * 2.16  # [Takahashi2021] (after Takemori 1995)

# --- Cold-induced vasodilation in hands and feet -------------------------------------
CIVD_ONSET_C = (
    10.0  # finger skin near 6-10 °C before CIVD: [Daanen2003]; Kingma 2019 Tmin 5.8 ± 3.0 °C
)
CIVD_TAU_S = 420.0  # onset 5-10 min after the start of local cooling [Daanen2003]
CIVD_MAX_L_PER_H = 1.0  # ASSUMPTION: extra skin flow of both hands (or feet) at full CIVD


def basal_metabolic_rate_w(
    sex: np.ndarray, *, mass_kg: np.ndarray, height_m: np.ndarray, age_y: np.ndarray
) -> np.ndarray:
    """Basal metabolic rate by the revised Harris-Benedict equation [RozaShizgal1984]_.

    Parameters
    ----------
    sex : ndarray of bool (n_bodies,)
        True for male.
    mass_kg, height_m, age_y : ndarray (n_bodies,)
        Body mass [kg], height [m] and age [years].

    Returns
    -------
    ndarray (n_bodies,)
        Basal metabolic rate [W].
    """
    height_cm = 100.0 * height_m
    male = 88.362 + 13.397 * mass_kg + 4.799 * height_cm - 5.677 * age_y  # [RozaShizgal1984]
    female = 447.593 + 9.247 * mass_kg + 3.098 * height_cm - 4.330 * age_y  # [RozaShizgal1984]
    kcal_per_day = np.where(sex, male, female)
    return kcal_per_day * 4184.0 / 86400.0


# --- Ageing: decrements of the regulatory signals [-] (JOS-3, after Tanabe 2002) ----------
_DILATE_60 = jos3_intensive(
    [0.91, 0.91, 0.47, 0.47, 0.31, 0.47, 0.47, 0.47, 0.47, 0.47, 0.47, 0.31, 0.31, 0.31,
     0.31, 0.31, 0.31]  # [Takahashi2021] vasodilation signal, age >= 60
)  # fmt: skip
_SWEAT_60 = jos3_intensive(
    [0.69, 0.69, 0.59, 0.52, 0.40, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.40, 0.40, 0.40,
     0.40, 0.40, 0.40]  # [Takahashi2021] sweating signal, age >= 60
)  # fmt: skip
_SHIVER_BY_DECADE = (  # upper age bound, factor; [Takahashi2021] shivering signal
    (30.0, 1.0), (40.0, 0.97514), (50.0, 0.95028), (60.0, 0.92818), (70.0, 0.90055),
    (80.0, 0.86188), (math.inf, 0.82597),
)  # fmt: skip


def age_factors(age_y: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Shivering factor and per-segment vasodilation and sweating factors at an age.

    Returns
    -------
    shiver : float
    dilate, sweat : ndarray (N_SEGMENTS,)
        Multipliers of the regulatory signals [-] ([Takahashi2021]; 1 below 60 years).
    """
    shiver = next(f for bound, f in _SHIVER_BY_DECADE if age_y < bound)
    if age_y < 60.0:
        return shiver, np.ones_like(_DILATE_60), np.ones_like(_SWEAT_60)
    return shiver, _DILATE_60.copy(), _SWEAT_60.copy()
