"""Cold agents as boundary conditions of the local engine, with their defaults and sources.

Each application is a boundary condition on the skin surface: a heat-transfer
coefficient ``h`` [W/m²/K] (agent contact, or convection, in series with the barrier)
towards either

* a fixed agent temperature (air, vapour and CO2 jets, circulating water, water baths,
  ice massage), or
* a lumped pack whose enthalpy is spent by the heat it draws (ice bag, gel pack, frozen
  peas): the pack holds its melting temperature while latent heat lasts, then warms
  (sensible heat only for gel packs).

A pack's contact depends on how it is held: resting on the skin, its weight presses it on
(heavier presses harder); held by a wrap (``modality.fixation = "wrap"``), the wrap
presses it on and its mass matters only below about 0.6 kg [Tomchuk2010]_,
[Janwantanakul2009]_.

Numbers that were fitted (across *all* validation studies of a modality, never to one
study) say so in their source and in docs/physics.md.  The rest are physical constants
or engineering estimates with their basis; weak ones are marked "estimate".

References
----------
.. [deDear1997] de Dear RJ, Arens E, Hui Z, Oguro M. Convective and radiative heat
   transfer coefficients for individual human body segments. Int J Biometeorol
   1997;40:141-56. :doi:`10.1007/s004840050035`
.. [Nadel1974] Nadel ER, Holmér I, Bergh U, Åstrand PO, Stolwijk JAJ. Energy exchanges
   of swimming man. J Appl Physiol 1974;36(4):465-71. :doi:`10.1152/jappl.1974.36.4.465`
.. [Lide2004] Lide DR (ed.). CRC Handbook of Chemistry and Physics, 85th ed. CRC Press,
   2004.
.. [USDA2018] USDA National Nutrient Database: peas, green, frozen (water 79 g/100 g).
.. [Tomchuk2010] Tomchuk D, Rubley MD, Holcomb WR, Guadagnoli M, Tarno JM. The magnitude
   of tissue cooling during cryotherapy with varied types of compression. J Athl Train
   2010;45(3):230-7. :doi:`10.4085/1062-6050-45.3.230`
.. [Janwantanakul2009] Janwantanakul P. The effect of quantity of ice and size of contact
   area on ice pack/skin interface temperature. Physiotherapy 2009;95(2):120-5.
   :doi:`10.1016/j.physio.2009.01.004`
"""

from __future__ import annotations

from dataclasses import dataclass

from cryotx.physics.scenario import Modality
from cryotx.physics.tissues import LATENT_HEAT_WATER_J_PER_KG, SITE_GEOMETRY

__all__ = [
    "AMBIENT_H_W_PER_M2_K",
    "BARRIER_RESISTANCE_M2_K_PER_W",
    "DEFAULTS",
    "FIXATION_CONTACT_FACTOR",
    "PACK_CONTACT_SATURATION_KG",
    "PACK_MASS_EXPONENT",
    "WRAPPED_PACK_EXPONENT",
    "Boundary",
    "ModalityDefaults",
    "boundary_for",
]

AMBIENT_H_W_PER_M2_K = 7.8  # still air: convection 3.3 + radiation 4.5 [deDear1997] Tables 2-3
PACK_AMBIENT_H_W_PER_M2_K = 7.8  # outer face of a pack to the room, same as skin [deDear1997]
WATER_SPECIFIC_HEAT_J_PER_KG_K = 4186.0  # [Lide2004]
ICE_SPECIFIC_HEAT_J_PER_KG_K = 2050.0  # ice near 0 °C [Lide2004]

BARRIER_RESISTANCE_M2_K_PER_W: dict[str, float] = {
    "none": 0.0,
    # ~3 mm soaked terry cloth, k ~0.5 W/m/K (mostly water): estimate
    "wet_towel": 0.006,
    # ~3 mm dry terry cloth, k ~0.06 W/m/K (air-filled fabric): estimate
    "dry_towel": 0.05,
    # gauze + woven bandage + adhesive bandage, ~5 mm of dry textile (k ~0.05): estimate,
    # checked against the only dressing study (Breslin 2015, docs/validation.md)
    "dressing": 0.10,
}
"""Thermal resistance of each barrier between agent and skin [m² K/W]."""


@dataclass(frozen=True)
class ModalityDefaults:
    """Defaults of one modality kind.

    ``contact_h_w_per_m2_k`` is the agent-to-skin coefficient without barrier; for packs
    ``mass_kg`` / ``start_temp_c`` / ``water_frac`` / heat capacities describe the pack.
    """

    kind: str
    lumped: bool
    agent_temp_c: float
    contact_h_w_per_m2_k: float
    barrier: str
    source: str
    mass_kg: float = 0.0
    water_frac: float = 0.0
    solid_heat_j_per_kg_k: float = 0.0
    liquid_heat_j_per_kg_k: float = 0.0
    melt_temp_c: float = 0.0


DEFAULTS: dict[str, ModalityDefaults] = {
    "ice_bag": ModalityDefaults(
        "ice_bag",
        True,
        0.0,
        30.0,
        "none",
        "melting ice 0 °C [Lide2004]; crushed ice in a plastic bag resting on the skin, "
        "contact h = 30 W/m²/K for a 1.0 kg bag (fitted across all ice_bag studies, "
        "docs/physics.md; scales with the bag's weight [Mikic1974]; x1.87 held by a wrap "
        "[Tomchuk2010], then independent of mass above 0.6 kg [Janwantanakul2009]); 1.0 kg "
        "(clinical bags 0.5-1.8 kg, 1.8 kg in [Myrer2001])",
        mass_kg=1.0,
        water_frac=1.0,
        solid_heat_j_per_kg_k=ICE_SPECIFIC_HEAT_J_PER_KG_K,
        liquid_heat_j_per_kg_k=WATER_SPECIFIC_HEAT_J_PER_KG_K,
        melt_temp_c=0.0,
    ),
    "gel_pack": ModalityDefaults(
        "gel_pack",
        True,
        -12.0,
        15.0,
        "none",
        "start -12 °C (clinic freezer range -18 to -5 °C, estimate); 0.5 kg; water-based gel "
        "c ~3.3 kJ/kg/K, sensible heat only (issue 2); contact h = 15 W/m²/K (fitted "
        "across all gel_pack studies, docs/physics.md)",
        mass_kg=0.5,
        water_frac=0.0,
        solid_heat_j_per_kg_k=3300.0,
        liquid_heat_j_per_kg_k=3300.0,
        melt_temp_c=-12.0,
    ),
    "frozen_peas": ModalityDefaults(
        "frozen_peas",
        True,
        -18.0,
        30.0,
        "none",
        "household freezer -18 °C; 454 g packet [Chesterton2002]; peas 79 % water "
        "[USDA2018] freezing near -0.6 °C; frozen/thawed c 1.9/3.6 kJ/kg/K (typical "
        "vegetables); contact h = 30 W/m²/K (fitted across all frozen_peas studies)",
        mass_kg=0.454,
        water_frac=0.79,
        solid_heat_j_per_kg_k=1900.0,
        liquid_heat_j_per_kg_k=3600.0,
        melt_temp_c=-0.6,
    ),
    "ice_massage": ModalityDefaults(
        "ice_massage",
        False,
        0.0,
        300.0,
        "none",
        "ice block rubbed on wet skin: melting ice 0 °C with a water film, h ~300 W/m²/K "
        "averaged over the stroke (estimate)",
    ),
    "cryo_cuff": ModalityDefaults(
        "cryo_cuff",
        False,
        8.0,
        30.0,
        "none",
        "circulating water; default setting 8 °C (devices offer 6-12 °C [Bask2022]); "
        "bladder + sleeve fabric h = 30 W/m²/K (fitted across all cryo_cuff studies, "
        "docs/physics.md)",
    ),
    "cold_air": ModalityDefaults(
        "cold_air",
        False,
        -30.0,
        9.0,
        "none",
        "electric cold-air devices blow about -30 °C (issue 2; [Radecka2021] notes); forced "
        "convection averaged over a sweeping nozzle or a sleeve h = 9 W/m²/K (least-squares "
        "fit across all time-resolved cold_air rows: [Radecka2021] knee, [Kminek2023] knee "
        "and ankle, with Kminek read as thermography; docs/physics.md)",
    ),
    "co2": ModalityDefaults(
        "co2",
        False,
        -78.0,
        40.0,
        "none",
        "dry-ice jet at its sublimation point (-78.5 °C [Lide2004]) under pressure; h ~40 "
        "W/m²/K (estimate, weak: no time-resolved CO2 data in the validation set)",
    ),
    "ln2_vapour": ModalityDefaults(
        "ln2_vapour",
        False,
        -160.0,
        5.0,
        "none",
        "nitrogen vapour about -160 °C at the nozzle (issue 2; [Poznan2012]); h = 5 "
        "W/m²/K averaged over a sweeping nozzle (fitted across all ln2_vapour studies: "
        "one simulable row)",
    ),
    "cold_water": ModalityDefaults(
        "cold_water",
        False,
        10.0,
        230.0,
        "none",
        "immersion; 10 °C default (whirlpool/immersion practice 8-15 °C); still water "
        "h ~230 W/m²/K, stirred ~580 W/m²/K [Nadel1974]",
    ),
}
"""Defaults of every local modality kind."""

ICE_FORM_FACTOR = {
    "wet": 1.5,  # ice and water in the bag: water fills the gaps (estimate)
    "crushed": 1.0,  # the ice_bag default
    "cubes": 0.5,  # cubes touch the skin at points, air gaps between (estimate)
}
"""Contact coefficient of an ice bag relative to crushed ice."""
PACK_MASS_EXPONENT = 0.95
"""A pack resting on the skin: contact h ~ (mass / default mass)^0.95.

The pack's weight is the contact pressure, and contact conductance grows about as
pressure^0.95 [Mikic1974] (a law for rough solids, not measured on skin: the 1.8 kg packs
of the Myrer studies carry the validation rows that support it, docs/physics.md).
"""
PACK_CONTACT_SATURATION_KG = 0.6
"""A pack held by a wrap: above this mass more ice no longer improves contact.

Under an elastic bandage on the thigh, 0.6 and 0.8 kg of ice cooled the pack/skin interface
alike (0.8 vs 0.6 kg: +0.6 °C, 95 % CI -0.12 to 1.32) and both more than 0.3 kg (0.6 vs
0.3 kg: -2.95 °C, CI -4.07 to -1.83); pack area (0.18 x 0.23 vs 0.20 x 0.25 m) did not matter
[Janwantanakul2009].  The wrap's pressure, not the pack's weight, holds the pack on, so the
weight law above does not apply (it would put 0.8 kg 2.5 °C below 0.6 kg in that protocol).
"""
WRAPPED_PACK_EXPONENT = 0.5
"""A wrapped pack lighter than saturation: contact h ~ (mass / 0.6 kg)^0.5.

Fitted to [Janwantanakul2009]'s 0.6 vs 0.3 kg difference (-2.95 °C) with the engine in that
protocol (thigh, men aged 18-22, 0.18 x 0.23 m pack, wrap, mean interface temperature over
20 min): 0.49 (0.31-0.66 over the study's 95 % CI), rounded.  An external study, not a
validation row (docs/physics.md).
"""
MIN_PACK_MASS_RATIO = 0.5  # a light pack still touches: floor on both mass laws (estimate)
FIXATION_CONTACT_FACTOR: dict[str, float] = {
    "none": 1.0,  # pack resting on the skin (the fitted defaults)
    # elastic wrap over an ice bag on the posterior lower leg: skin at 30 min 9.49 °C vs
    # 14.95 °C with no compression [Tomchuk2010]; the engine matches the two with contact
    # h 45.7 and 24.5 W/m²/K in that protocol (docs/physics.md), a ratio of 1.87.
    # (Flex-i-Wrap, 11.55 °C, gives 1.44; wraps of 15 and 60 mmHg cooled alike in a
    # later study, so one factor serves any compressive wrap or strap.)
    "wrap": 1.87,
}
"""Contact coefficient of a pack held by a wrap relative to a pack resting on the skin."""
STIRRED_WATER_H_W_PER_M2_K = 580.0  # [Nadel1974] swimming / stirred water


@dataclass(frozen=True)
class Boundary:
    """Boundary condition of one scenario while the agent is applied.

    ``mode`` 0 = fixed agent temperature, 1 = lumped pack.  Pack quantities are per unit
    skin area: capacities [J/m²/K], latent heat [J/m²]; ``pack_start_j_per_m2`` is the
    pack's enthalpy at application start (0 = all solid at the melting temperature).
    """

    mode: int
    agent_temp_c: float
    h_w_per_m2_k: float
    pack_solid_j_per_m2_k: float
    pack_liquid_j_per_m2_k: float
    pack_latent_j_per_m2: float
    pack_melt_c: float
    pack_start_j_per_m2: float
    pack_ambient_h_w_per_m2_k: float


def boundary_for(modality: Modality, *, site: str) -> Boundary:
    """Boundary condition of ``modality`` applied at ``site`` (defaults filled in)."""
    d = DEFAULTS.get(modality.kind)
    if d is None:
        from cryotx.errors import InputError

        raise InputError("modality.kind", f"{modality.kind} is not a local modality")
    contact_h = d.contact_h_w_per_m2_k
    if modality.kind == "ice_bag" and modality.ice_form is not None:
        contact_h *= ICE_FORM_FACTOR[modality.ice_form]
    if modality.kind == "cold_water" and modality.stirred:
        contact_h = STIRRED_WATER_H_W_PER_M2_K
    given_h = modality.heat_transfer_coefficient_w_per_m2_k
    if given_h is not None:
        # A coefficient the user measured or chose is the contact of this application as
        # it is (mass and wrap already in it); only the barrier is added in series.
        contact_h = given_h
    elif d.lumped and modality.fixation == "wrap":
        # the wrap presses the pack on; only a light pack touches less [Janwantanakul2009]
        mass = (modality.mass_kg or d.mass_kg) / PACK_CONTACT_SATURATION_KG
        ratio = min(max(mass, MIN_PACK_MASS_RATIO), 1.0)
        contact_h *= FIXATION_CONTACT_FACTOR["wrap"] * ratio**WRAPPED_PACK_EXPONENT
    elif d.lumped and modality.mass_kg is not None:
        # a resting pack presses with its weight: heavier presses harder [Mikic1974]
        ratio = max(modality.mass_kg / d.mass_kg, MIN_PACK_MASS_RATIO)
        contact_h *= ratio**PACK_MASS_EXPONENT
    barrier = modality.barrier or d.barrier
    resistance = 1.0 / contact_h + BARRIER_RESISTANCE_M2_K_PER_W[barrier]
    h = 1.0 / resistance
    if not d.lumped:
        agent = d.agent_temp_c if modality.agent_temp_c is None else modality.agent_temp_c
        return Boundary(0, agent, h, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0)
    area = modality.contact_area_m2 or SITE_GEOMETRY[site].contact_area_m2
    mass = (modality.mass_kg or d.mass_kg) / area
    melt = d.melt_temp_c
    start = modality.start_temp_c
    if start is None:
        start = modality.agent_temp_c if modality.agent_temp_c is not None else d.agent_temp_c
    c_solid = mass * d.solid_heat_j_per_kg_k
    c_liquid = mass * d.liquid_heat_j_per_kg_k
    latent = mass * d.water_frac * LATENT_HEAT_WATER_J_PER_KG
    if d.water_frac == 0.0:
        # sensible heat only: one capacity, the "melting" point is irrelevant
        melt = start
        e0 = 0.0
    elif start <= melt:
        e0 = c_solid * (start - melt)
    else:
        e0 = latent + c_liquid * (start - melt)
    return Boundary(1, start, h, c_solid, c_liquid, latent, melt, e0, PACK_AMBIENT_H_W_PER_M2_K)
