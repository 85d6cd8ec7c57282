"""The pain trend plot of the patient page (matplotlib, PNG as a data URI).

The pages' Content-Security-Policy allows images from ``data:`` but no inline styles, so
the plot is a PNG embedded as a data URI rather than matplotlib's SVG (which styles its
elements inline). The same numbers are listed in a table beside it for screen readers.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

__all__ = ["pain_trend_png"]

# Scale ends of the two pain instruments ([ClinicalNotes] section 3): NRS 0-10, VAS 0-100 mm.
_SCALE_MAX = {"pain_nrs": 10.0, "pain_vas": 100.0}
_LABELS = {"pain_nrs": "Pain NRS (0-10)", "pain_vas": "Pain VAS (0-100 mm)"}


class _PainScore(Protocol):
    @property
    def instrument(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def measured_at(self) -> datetime: ...


def pain_trend_png(responses: Sequence[_PainScore]) -> str | None:
    """A ``data:image/png;base64,...`` plot of pain over time, or ``None`` without data.

    One line per pain instrument (NRS and VAS on their own axes, as their scales
    differ); time on the x axis.
    """
    instruments = [name for name in _SCALE_MAX if any(r.instrument == name for r in responses)]
    if not instruments:
        return None
    figure = Figure(figsize=(7.0, 2.6 * len(instruments)), dpi=96, layout="constrained")
    axes = figure.subplots(len(instruments), 1, squeeze=False, sharex=True)[:, 0]
    for ax, name in zip(axes, instruments, strict=True):
        points = sorted((r.measured_at, r.score) for r in responses if r.instrument == name)
        times = [t for t, _ in points]
        scores = [s for _, s in points]
        ax.plot(times, scores, marker="o", color="#1f5f8b", linewidth=1.8)
        ax.set_ylim(0, _SCALE_MAX[name])
        ax.set_ylabel(_LABELS[name])
        ax.grid(True, alpha=0.3)
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes[0].set_title("Pain over time (lower is better)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
