"""cryotx.physics: the thermal engine (tissues, geometry, modalities, solver, metrics).

Public API (kept stable for the clinical planner and the whole-body engine):
``Scenario`` and its parts, ``parse_scenarios``, ``simulate``, ``SimulationResult``,
``ProbeTrace`` and the ``tissues`` module.
"""

from cryotx.physics import tissues
from cryotx.physics.engine import (
    ANALGESIA_C,
    NERVE_C,
    ProbeTrace,
    SimulationResult,
    fat_thickness_m,
    simulate,
)
from cryotx.physics.scenario import (
    Application,
    Modality,
    PreChamber,
    Probe,
    Scenario,
    Subject,
    parse_scenarios,
)

__all__ = [
    "ANALGESIA_C",
    "NERVE_C",
    "Application",
    "Modality",
    "PreChamber",
    "Probe",
    "ProbeTrace",
    "Scenario",
    "SimulationResult",
    "Subject",
    "fat_thickness_m",
    "parse_scenarios",
    "simulate",
    "tissues",
]
