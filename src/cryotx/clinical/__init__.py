"""cryotx.clinical: screening rules, evidence library, personalised planning, instructions.

Public API: :func:`screen`, :func:`plan`, :func:`parse_patient`, :class:`Patient`,
:class:`Screening`, :class:`Plan`, and the modules :mod:`vocabulary` and :mod:`protocols`.
"""

from __future__ import annotations

from cryotx.clinical import protocols, vocabulary
from cryotx.clinical.patient import Patient, parse_patient
from cryotx.clinical.planning import Dose, Plan, plan, plan_many
from cryotx.clinical.screening import Reason, Screening, screen, screen_all

__all__ = [
    "Dose",
    "Patient",
    "Plan",
    "Reason",
    "Screening",
    "parse_patient",
    "plan",
    "plan_many",
    "protocols",
    "screen",
    "screen_all",
    "vocabulary",
]
