"""Score ranges of the outcome instruments, checked before a score is stored.

Each range is the instrument's published scoring range, taken from
``shared/data/clinical/clinical-evidence.md`` section 3 (the URL of each source is given
there and repeated below).  Flexibility measures have no bounded scale; their bounds are
plausibility limits to catch typing errors and are marked so.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryotx.errors import InputError
from cryotx.services.schemas import InstrumentCreate

__all__ = ["RANGES", "ScoreRange", "check_score"]


@dataclass(frozen=True, slots=True)
class ScoreRange:
    """Allowed scores of one instrument (or subscale) and its item range."""

    low: float
    high: float
    integer: bool = False
    item_low: float | None = None
    item_high: float | None = None
    max_items: int | None = None
    source: str = ""


_KOOS = "http://koos.nu/faq.html (subscale = 100 - mean item/4 x 100; items 0-4)"
_WOMAC = "https://sralab.org/rehabilitation-measures/womac-osteoarthritis-index-reliability-validity-and-responsiveness-patients"

#: (instrument, subscale or version key) -> range.  ``None`` is the default key.
RANGES: dict[tuple[str, str | None], ScoreRange] = {
    # Pain NRS, 11-point 0-10 (clinical-evidence.md section 3; pubmed 11690728).
    ("pain_nrs", None): ScoreRange(
        0, 10, integer=True, source="https://pubmed.ncbi.nlm.nih.gov/11690728/"
    ),
    # Pain VAS, 0-100 mm (clinical-evidence.md section 3).
    ("pain_vas", None): ScoreRange(
        0, 100, source="https://pmc.ncbi.nlm.nih.gov/articles/PMC1755212"
    ),
    # ODI: 10 sections scored 0-5, score = sum / (5 x answered) x 100 (section 3, ODI detail).
    ("oswestry", None): ScoreRange(
        0,
        100,
        item_low=0,
        item_high=5,
        max_items=10,
        source="https://www.idcafe.net/how-is-the-oswestry-disability-scale-scored/",
    ),
    # RMDQ-24: number of ticked statements 0-24; 18- and 11-item versions exist.
    ("roland_morris", None): ScoreRange(
        0,
        24,
        integer=True,
        item_low=0,
        item_high=1,
        max_items=24,
        source="http://scientificspine.com/spine-scores/roland-morris-disability-questionnaire_%28rdq%29.html",
    ),
    ("roland_morris", "rmdq-18"): ScoreRange(
        0, 18, integer=True, item_low=0, item_high=1, max_items=18
    ),
    ("roland_morris", "rmdq-11"): ScoreRange(
        0, 11, integer=True, item_low=0, item_high=1, max_items=11
    ),
    # WOMAC Likert 3.x: pain 0-20, stiffness 0-8, function 0-68, total 0-96; items 0-4.
    ("womac", None): ScoreRange(0, 96, item_low=0, item_high=4, max_items=24, source=_WOMAC),
    ("womac", "total"): ScoreRange(0, 96, item_low=0, item_high=4, max_items=24, source=_WOMAC),
    ("womac", "pain"): ScoreRange(0, 20, item_low=0, item_high=4, max_items=5, source=_WOMAC),
    ("womac", "stiffness"): ScoreRange(0, 8, item_low=0, item_high=4, max_items=2, source=_WOMAC),
    ("womac", "function"): ScoreRange(0, 68, item_low=0, item_high=4, max_items=17, source=_WOMAC),
    # KOOS: five subscales 0-100 (100 = no problems), no total score.
    ("koos", "symptoms"): ScoreRange(0, 100, item_low=0, item_high=4, max_items=7, source=_KOOS),
    ("koos", "pain"): ScoreRange(0, 100, item_low=0, item_high=4, max_items=9, source=_KOOS),
    ("koos", "adl"): ScoreRange(0, 100, item_low=0, item_high=4, max_items=17, source=_KOOS),
    ("koos", "sport_rec"): ScoreRange(0, 100, item_low=0, item_high=4, max_items=5, source=_KOOS),
    ("koos", "qol"): ScoreRange(0, 100, item_low=0, item_high=4, max_items=4, source=_KOOS),
    # BASFI: 10 items 0-10, score = mean, 0-10.
    ("basfi", None): ScoreRange(
        0, 10, item_low=0, item_high=10, max_items=10, source="https://en.wikipedia.org/wiki/BASFI"
    ),
    # Modified Schober: increase of the 15 cm mark distance in flexion [cm]; normal >= 5 cm.
    # Upper bound is a plausibility limit, not a published scale end.
    ("modified_schober", None): ScoreRange(
        0, 20, source="https://fpnotebook.com/Rheum/Exam/SchbrsTst.htm"
    ),
    # Fingertip-to-floor [cm]; the stool version allows negative values. Plausibility bounds.
    ("fingertip_to_floor", None): ScoreRange(
        -60, 150, source="https://www.physio-pedia.com/Fingertips_to_Floor_Distance_-_Special_Test"
    ),
    # Range of motion [degrees]; subscale names the joint movement. Plausibility bounds.
    ("rom", None): ScoreRange(-45, 200),
}

_NEEDS_SUBSCALE = {"koos", "rom"}


def check_score(data: InstrumentCreate) -> None:
    """Refuse a score outside its instrument's range (``InputError`` naming the field)."""
    key: str | None = data.subscale
    if data.instrument == "roland_morris":
        key = data.version if data.version in ("rmdq-18", "rmdq-11") else None
    elif data.instrument == "rom":
        if data.subscale is None:
            raise InputError("subscale", "rom needs the joint movement, e.g. knee_flexion")
        key = None
    elif data.instrument in _NEEDS_SUBSCALE and data.subscale is None:
        raise InputError("subscale", f"{data.instrument} needs a subscale")
    elif data.instrument not in ("womac", "koos") and data.subscale is not None:
        raise InputError("subscale", f"{data.instrument} has no subscales")
    score_range = RANGES.get((data.instrument, key))
    if score_range is None:
        known = sorted(str(s) for (i, s) in RANGES if i == data.instrument and s)
        raise InputError("subscale", f"unknown subscale for {data.instrument}; known: {known}")
    if not score_range.low <= data.score <= score_range.high:
        raise InputError(
            "score",
            f"{data.instrument} scores lie in {score_range.low:g}..{score_range.high:g}",
        )
    if score_range.integer and data.score != int(data.score):
        raise InputError("score", f"{data.instrument} scores are whole numbers")
    if data.items is not None:
        if score_range.item_low is None or score_range.item_high is None:
            raise InputError("items", f"{data.instrument} has no items")
        if score_range.max_items is not None and len(data.items) > score_range.max_items:
            raise InputError("items", f"at most {score_range.max_items} items")
        for index, item in enumerate(data.items):
            if not score_range.item_low <= item <= score_range.item_high:
                raise InputError(
                    f"items.{index}",
                    f"items lie in {score_range.item_low:g}..{score_range.item_high:g}",
                )
