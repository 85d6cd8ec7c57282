"""Whole-body and partial-body cryotherapy: a segmented, thermoregulating body model.

``simulate_whole_body`` takes parsed scenarios with ``site == "whole_body"`` (what
:func:`cryotx.physics.simulate` routes here) and returns the local engine's
``SimulationResult``.  ``simulate_protocols`` is the lower-level batched entry point on
explicit phase lists (used by the benchmark and the tests).  docs/whole_body.md describes
the model, its sources and its validation.
"""

from __future__ import annotations

from cryotx.physics.wholebody.body import BodySpec
from cryotx.physics.wholebody.model import Phase, Protocol, WholeBodyRun, simulate_protocols
from cryotx.physics.wholebody.segments import SEGMENTS
from cryotx.physics.wholebody.simulation import WholeBodyResult, simulate_whole_body

__all__ = [
    "SEGMENTS",
    "BodySpec",
    "Phase",
    "Protocol",
    "WholeBodyResult",
    "WholeBodyRun",
    "simulate_protocols",
    "simulate_whole_body",
]
