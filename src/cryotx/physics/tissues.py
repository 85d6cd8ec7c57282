"""Tissue properties, subcutaneous-fat estimate and site geometry.

Thermal properties, perfusion and metabolic heat of each tissue come from the IT'IS
Foundation tissue database [Hasgall2022]_ (mean values; perfusion converted from
ml/min/kg to a volumetric rate ``omega = F * rho / 6e7`` [1/s]).  The values were
transcribed for this project and rounded to two or three significant figures; the
database spread between sources is 10-30 % for conductivity and a factor of 2-3 for
perfusion, which bounds what the engine can claim.

Fat thickness, when the subject gives neither a measured thickness nor a skinfold, comes
from body fat percent by the Deurenberg relation [Deurenberg1991]_, the share of fat that
is subcutaneous ([ICRP2002]_, about 0.8 of separable adipose tissue in reference adults)
and the DuBois body surface area [DuBois1916]_: a whole-body *mean* subcutaneous
thickness.  Site-to-site distribution is not modelled (weak evidence for a general
relation), so the estimate is the same at every site; give ``fat_mm`` or ``skinfold_mm``
when it matters.

Site geometry: limbs and joints are cylinders whose lean radius (skin excluded) comes from
mean circumferences of adults in ANSUR II [Gordon2014]_ minus a typical fat layer, with a
bone core; the lower back is a planar slab over the core.  Rounded means of men and women.

References
----------
.. [Hasgall2022] Hasgall PA, Di Gennaro F, Baumgartner C, et al. IT'IS Database for
   thermal and electromagnetic parameters of biological tissues, version 4.1, 2022.
   :doi:`10.13099/VIP21000-04-1`
.. [Deurenberg1991] Deurenberg P, Weststrate JA, Seidell JC. Body mass index as a measure
   of body fatness: age- and sex-specific prediction formulas. Br J Nutr 1991;65:105-14.
   :doi:`10.1079/bjn19910073`
.. [ICRP2002] ICRP Publication 89. Basic anatomical and physiological data for use in
   radiological protection: reference values. Ann ICRP 2002;32(3-4).
.. [DuBois1916] Du Bois D, Du Bois EF. A formula to estimate the approximate surface area
   if height and weight be known. Arch Intern Med 1916;17:863-71.
.. [Gordon2014] Gordon CC, et al. 2012 Anthropometric Survey of U.S. Army Personnel
   (ANSUR II): methods and summary statistics. NATICK/TR-15/007, 2014.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BLOOD",
    "DEFAULT_CORE_TEMP_C",
    "DEFAULT_SUBJECT",
    "FAT_DENSITY_KG_PER_M3",
    "FREEZING_END_C",
    "FREEZING_START_C",
    "LOCAL_SITES",
    "MUSCLE_CONDUCTIVITY_FACTOR",
    "REST_PERFUSION_FRAC",
    "SITE_GEOMETRY",
    "SKIN_THICKNESS_M",
    "SUBCUTANEOUS_FRACTION",
    "TISSUES",
    "Layer",
    "SiteGeometry",
    "Tissue",
    "body_fat_percent",
    "body_surface_area_m2",
    "estimated_fat_m",
    "fat_fraction",
    "fat_from_skinfold_m",
    "max_fat_mm",
    "site_depth_m",
]


@dataclass(frozen=True)
class Tissue:
    """Thermal and physiological properties of one tissue (SI units, per volume).

    ``perfusion_per_s`` is the volumetric blood perfusion rate (m³ blood / m³ tissue / s);
    ``water_frac`` the mass fraction of freezable water (sets the latent heat).
    """

    name: str
    density_kg_per_m3: float
    specific_heat_j_per_kg_k: float
    conductivity_w_per_m_k: float
    perfusion_per_s: float
    metabolism_w_per_m3: float
    water_frac: float
    source: str


def _omega(ml_per_min_kg: float, density_kg_per_m3: float) -> float:
    return ml_per_min_kg * density_kg_per_m3 / 6.0e7


_IT_IS = "[Hasgall2022] IT'IS v4.1 mean values"

MUSCLE_CONDUCTIVITY_FACTOR = 2.0
"""Effective conductivity of vascularised muscle over its intrinsic value.

Countercurrent arteries and veins carry heat along temperature gradients, which raises
the effective conductivity of muscle by a factor of about 1.5-3 [WeinbaumJiji1985]_.
Fitted across all intramuscular rows of the validation set (factors 1.5, 2 and 3 were
tried; 2, the middle of the published range, kept): with the intrinsic 0.49 W/m/K the
muscle under ice cooled too slowly and kept cooling after the pack was removed, where
every study saw it rewarm (docs/physics.md).

.. [WeinbaumJiji1985] Weinbaum S, Jiji LM. A new simplified bioheat equation for the
   effect of blood flow on local average tissue temperature. J Biomech Eng
   1985;107(2):131-9. :doi:`10.1115/1.3138533`
"""

REST_PERFUSION_FRAC: dict[str, float] = {
    # Resting limb in a 20-24 °C laboratory, as in every validation study: skin blood
    # flow is held low by thermoregulatory vasoconstriction, resting leg muscle flow is
    # ~1.5 ml/100 g/min.  Fraction of the IT'IS (thermoneutral) mean, fitted once to the
    # pre-treatment skin and joint temperatures of all studies (docs/physics.md).
    "skin": 0.1,
    "fat": 0.15,
    "muscle": 0.4,
    "bone": 0.2,
    # Knee capsule, patellar tendon and cartilage (cartilage has no vessels of its own):
    # refitted alone, by least squares over the same pre-treatment rows (knee skin and
    # joint cavity; optimum 0.035-0.04, flat within 1 % from 0.03 to 0.05), after the
    # knee skin read 29.9 °C at rest against 27.4-28.8 measured (docs/physics.md).
    "joint": 0.04,
}
_WATER = "water fraction: [ICRP2002] / [Hasgall2022] composition tables, rounded"

TISSUES: dict[str, Tissue] = {
    "skin": Tissue(
        "skin",
        1109.0,
        3391.0,
        0.37,
        _omega(106.0 * REST_PERFUSION_FRAC["skin"], 1109.0),
        1.65 * 1109.0,
        0.65,
        f"{_IT_IS}; {_WATER}",
    ),
    "fat": Tissue(
        "fat",
        911.0,
        2348.0,
        0.21,
        _omega(33.0 * REST_PERFUSION_FRAC["fat"], 911.0),
        0.51 * 911.0,
        0.20,
        f"{_IT_IS}; {_WATER}",
    ),
    "muscle": Tissue(
        "muscle",
        1090.0,
        3421.0,
        0.49 * MUSCLE_CONDUCTIVITY_FACTOR,
        _omega(37.0 * REST_PERFUSION_FRAC["muscle"], 1090.0),
        0.91 * 1090.0,
        0.75,
        f"{_IT_IS}; {_WATER}",
    ),
    "bone": Tissue(
        "bone",
        1908.0,
        1313.0,
        0.32,
        _omega(10.0 * REST_PERFUSION_FRAC["bone"], 1908.0),
        0.15 * 1908.0,
        0.15,
        f"{_IT_IS} (cortical bone); {_WATER}",
    ),
    "joint": Tissue(
        # Capsule, patellar tendon and cartilage around the knee joint cavity.
        "joint",
        1100.0,
        3568.0,
        0.49,
        _omega(35.0 * REST_PERFUSION_FRAC["joint"], 1100.0),
        0.0,
        0.70,
        f"{_IT_IS} (cartilage; capsule/tendon similar); {_WATER}",
    ),
    "synovial": Tissue(
        # Synovial fluid in the joint cavity: treated as body fluid (no perfusion of its own).
        "synovial",
        1010.0,
        4000.0,
        0.58,
        0.0,
        0.0,
        0.95,
        f"{_IT_IS} (body fluid / cerebrospinal fluid used for synovial fluid)",
    ),
}
"""Tissue table used by the engine (keys are the tissue names)."""

BLOOD = Tissue("blood", 1050.0, 3617.0, 0.52, 0.0, 0.0, 0.8, _IT_IS)
"""Blood, for the Pennes perfusion term (rho_b * c_b)."""

LATENT_HEAT_WATER_J_PER_KG = 333.6e3  # latent heat of fusion of ice at 0 °C [Lide2004]
FREEZING_START_C = (
    -0.55
)  # tissue freezes a little below 0 °C (frostbite below -0.55 °C) [NHSfrostbite]
FREEZING_END_C = -1.55  # end of the freezing range: 1 K mushy zone (numerical, see docs/physics.md)
DEFAULT_CORE_TEMP_C = 37.0  # resting core temperature (rectal/oesophageal 36.8-37.2) [ICRP2002]
SKIN_THICKNESS_M = 1.5e-3  # epidermis + dermis over limbs, 1-2 mm [Hasgall2022] (anatomy notes)
FAT_DENSITY_KG_PER_M3 = 900.0  # adipose tissue density 0.90 g/cm3 [ICRP2002]
SUBCUTANEOUS_FRACTION = 0.8  # subcutaneous share of separable adipose tissue [ICRP2002]


@dataclass(frozen=True)
class _Population:
    """Defaults for missing anthropometrics (adult reference values [ICRP2002])."""

    age_y: float
    height_m: float
    mass_kg: float


DEFAULT_SUBJECT: dict[str, _Population] = {
    "male": _Population(age_y=40.0, height_m=1.76, mass_kg=73.0),  # [ICRP2002] Table 2.9
    "female": _Population(age_y=40.0, height_m=1.63, mass_kg=60.0),  # [ICRP2002] Table 2.9
}


def body_fat_percent(*, sex: str, age_y: float, height_m: float, mass_kg: float) -> float:
    """Body fat percent from BMI, age and sex [Deurenberg1991]_.

    ``BF% = 1.2 BMI + 0.23 age - 10.8 sex - 5.4`` with sex = 1 for men, 0 for women.
    Validity: adults 18-80 y; standard error of estimate about 4 % body fat.
    """
    bmi = mass_kg / height_m**2
    return 1.2 * bmi + 0.23 * age_y - 10.8 * (1.0 if sex == "male" else 0.0) - 5.4


def body_surface_area_m2(*, height_m: float, mass_kg: float) -> float:
    """DuBois body surface area [DuBois1916]_: ``0.007184 W^0.425 H_cm^0.725`` [m²]."""
    return 0.007184 * mass_kg**0.425 * (height_m * 100.0) ** 0.725


def fat_fraction(
    *, sex: str, age_y: float, height_m: float, mass_kg: float, measured_percent: float | None
) -> float:
    """Whole-body fat fraction [-]: the measured percentage if there is one (bounded by
    ``scenario.BODY_FAT_PERCENT_RANGE``), else the BMI estimate of :func:`body_fat_percent`
    clipped to 3-60 % (the range the regression is used over)."""
    if measured_percent is not None:
        return measured_percent / 100.0
    estimate = body_fat_percent(sex=sex, age_y=age_y, height_m=height_m, mass_kg=mass_kg)
    return min(max(estimate, 3.0), 60.0) / 100.0


def estimated_fat_m(
    *,
    sex: str,
    age_y: float | None,
    height_m: float | None,
    mass_kg: float | None,
    measured_percent: float | None = None,
) -> float:
    """Whole-body mean subcutaneous fat thickness [m] from sex, age, height and mass.

    Fat mass from a measured whole-body fat percentage or else [Deurenberg1991]_, 80 % of it
    subcutaneous [ICRP2002]_, spread at 900 kg/m³ over the DuBois surface area
    [DuBois1916]_.  Missing values take the reference adult of the same sex.  Clipped to
    1-60 mm.
    """
    ref = DEFAULT_SUBJECT[sex]
    age = ref.age_y if age_y is None else max(age_y, 18.0)
    height = ref.height_m if height_m is None else height_m
    mass = ref.mass_kg if mass_kg is None else mass_kg
    fat_frac = fat_fraction(
        sex=sex, age_y=age, height_m=height, mass_kg=mass, measured_percent=measured_percent
    )
    thickness = (
        SUBCUTANEOUS_FRACTION
        * fat_frac
        * mass
        / FAT_DENSITY_KG_PER_M3
        / body_surface_area_m2(height_m=height, mass_kg=mass)
    )
    return min(max(thickness, 1e-3), 60e-3)


def fat_from_skinfold_m(skinfold_mm: float) -> float:
    """Fat-layer thickness [m] from a caliper skinfold [mm].

    A skinfold is a double layer of skin and fat: fat = skinfold / 2 - skin (the
    convention of the cryotherapy studies that dose by skinfold, e.g. [Myrer2001]_),
    never below 0.5 mm.
    """
    return max(skinfold_mm * 1e-3 / 2.0 - SKIN_THICKNESS_M, 0.5e-3)


@dataclass(frozen=True)
class Layer:
    """One layer below skin and fat: tissue, thickness [m] (None = the rest), cells."""

    tissue: str
    thickness_m: float | None
    n_cells: int


@dataclass(frozen=True)
class SiteGeometry:
    """Geometry of one treatment site.

    ``lean_depth_m`` is the radius (cylinder) or depth to the core (planar) below skin
    and fat; ``layers`` go from the fat inwards.  ``core_boundary`` says whether the deep
    end is held at core temperature (planar trunk) or is a symmetry axis (limbs).
    """

    name: str
    geometry: str
    lean_depth_m: float
    layers: tuple[Layer, ...]
    core_boundary: bool
    contact_area_m2: float
    source: str


_ANSUR = "[Gordon2014] ANSUR II mean circumference / (2 pi), minus skin and ~5 mm fat"

SITE_GEOMETRY: dict[str, SiteGeometry] = {
    "knee": SiteGeometry(
        "knee",
        "radial",
        0.055,
        (Layer("joint", 0.012, 8), Layer("synovial", 0.004, 4), Layer("bone", None, 8)),
        False,
        0.035,
        f"{_ANSUR} (knee circumference ~38 cm); capsule/patellar tendon 12 mm and the "
        "suprapatellar joint cavity at 2-3 cm depth as in intra-articular probe studies "
        "[Oosterveld1992]",
    ),
    "ankle": SiteGeometry(
        "ankle",
        "radial",
        0.033,
        (Layer("muscle", 0.010, 10), Layer("bone", None, 10)),
        False,
        0.025,
        f"{_ANSUR} (ankle circumference ~23 cm); tendons taken as muscle",
    ),
    "thigh_anterior": SiteGeometry(
        "thigh_anterior",
        "radial",
        0.082,
        (Layer("muscle", 0.067, 18), Layer("bone", None, 2)),
        False,
        0.04,
        f"{_ANSUR} (mid-thigh circumference ~55 cm); femur radius ~15 mm",
    ),
    "calf": SiteGeometry(
        "calf",
        "radial",
        0.054,
        (Layer("muscle", 0.039, 18), Layer("bone", None, 2)),
        False,
        0.035,
        f"{_ANSUR} (calf circumference ~37 cm); tibia+fibula ~15 mm radius",
    ),
    "shoulder": SiteGeometry(
        "shoulder",
        "radial",
        0.050,
        (Layer("muscle", 0.036, 18), Layer("bone", None, 2)),
        False,
        0.035,
        f"{_ANSUR} (upper-arm/deltoid circumference ~33 cm); humerus ~14 mm",
    ),
    "elbow": SiteGeometry(
        "elbow",
        "radial",
        0.037,
        (Layer("muscle", 0.020, 14), Layer("bone", None, 6)),
        False,
        0.025,
        f"{_ANSUR} (elbow circumference ~27 cm)",
    ),
    "wrist": SiteGeometry(
        "wrist",
        "radial",
        0.024,
        (Layer("muscle", 0.010, 12), Layer("bone", None, 8)),
        False,
        0.02,
        f"{_ANSUR} (wrist circumference ~17 cm)",
    ),
    "hand": SiteGeometry(
        "hand",
        "planar",
        0.012,
        (Layer("muscle", 0.006, 12), Layer("bone", None, 8)),
        False,
        0.02,
        "[Gordon2014] hand thickness ~25 mm: a slab cooled on both faces, modelled as half "
        "(12 mm below skin and fat) with a symmetry plane",
    ),
    "lumbar": SiteGeometry(
        "lumbar",
        "planar",
        0.060,
        (Layer("muscle", None, 20),),
        True,
        0.06,
        "erector spinae and multifidus ~60 mm deep over the core (lumbar MRI/ultrasound "
        "anatomy, e.g. [Gordon2014] for surface dimensions); deep end held at core "
        "temperature",
    ),
}
"""Geometry of every local treatment site."""

LOCAL_SITES: tuple[str, ...] = tuple(SITE_GEOMETRY)


def max_fat_mm(site: str) -> float:
    """Largest fat layer the model accepts at a site [mm] (its lean radius / depth)."""
    return SITE_GEOMETRY[site].lean_depth_m * 1e3


def site_depth_m(site: str, *, fat_m: float) -> float:
    """Depth from the skin surface to the axis (limbs) or the core (trunk) [m]."""
    return SKIN_THICKNESS_M + fat_m + SITE_GEOMETRY[site].lean_depth_m
