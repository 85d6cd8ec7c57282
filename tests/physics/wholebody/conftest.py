"""Shared helpers of the whole-body tests: a standard body and chamber protocols."""

from __future__ import annotations

from typing import Any

import numpy as np

from cryotx.physics.wholebody import BodySpec, Phase, Protocol
from cryotx.physics.wholebody.boundary import INDOOR_CLOTHING

WBC_GEAR = ("shorts", "gloves", "socks_clogs", "headband", "mask")


def body(*, male: bool = True, height_m: float = 1.78, mass_kg: float = 76.0) -> BodySpec:
    """A body of the given sex and size, age 30."""
    return BodySpec(male=male, age_y=30.0, height_m=height_m, mass_kg=mass_kg, fat_m={})


def chamber(
    spec: BodySpec, *, air_c: float = -110.0, exposure_s: float = 180.0, recovery_s: float = 600.0
) -> Protocol:
    """Rest indoors, a WBC exposure, recovery indoors; outputs every 30 s from time zero."""
    return Protocol(
        body=spec,
        pre_phases=(Phase(duration_s=1800.0, air_c=22.0, clothing=INDOOR_CLOTHING, max_dt_s=30.0),),
        phases=(
            Phase(duration_s=exposure_s, air_c=air_c, air_speed_m_per_s=0.4, clothing=WBC_GEAR),
            Phase(duration_s=recovery_s, air_c=22.0, clothing=INDOOR_CLOTHING),
        ),
        output_times_s=tuple(np.arange(0.0, exposure_s + recovery_s + 1e-9, 30.0)),
        probes=(("thigh", 0.01), ("thigh", 0.03)),
    )


def wbc_scenario(**modality: Any) -> dict[str, Any]:
    """A whole-body chamber scenario (raw JSON form) with modality overrides."""
    return {
        "subject": {"sex": "male", "age_y": 30, "height_m": 1.78, "mass_kg": 76},
        "site": "whole_body",
        "modality": {"kind": "wbc_chamber", **modality},
        "exposure_s": 180,
        "follow_up_s": 300,
        "probes": [{"measure": "skin", "site": "thigh_anterior"}, {"measure": "core"}],
        "output_every_s": 30,
    }
