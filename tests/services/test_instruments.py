"""Outcome scores are checked against each instrument's published range."""

from __future__ import annotations

import pytest

from cryotx.errors import InputError
from cryotx.services.instruments import RANGES, check_score
from cryotx.services.schemas import InstrumentCreate


def _create(instrument: str, key: str | None, score: float) -> InstrumentCreate:
    subscale = key if instrument in ("womac", "koos") else None
    version = key if instrument == "roland_morris" else None
    if instrument == "rom":
        subscale = "knee_flexion"
    return InstrumentCreate(instrument=instrument, subscale=subscale, version=version, score=score)  # type: ignore[arg-type]


CASES = sorted(RANGES.items(), key=lambda item: (item[0][0], str(item[0][1])))
IDS = [f"{i}-{k}" for (i, k), _ in CASES]


@pytest.mark.parametrize(("key", "score_range"), CASES, ids=IDS)
def test_scale_ends_are_accepted_and_beyond_them_refused(key, score_range) -> None:  # type: ignore[no-untyped-def]
    instrument, sub = key
    check_score(_create(instrument, sub, score_range.low))
    check_score(_create(instrument, sub, score_range.high))
    for outside in (score_range.low - 1, score_range.high + 1):
        with pytest.raises(InputError) as refused:
            check_score(_create(instrument, sub, outside))
        assert refused.value.field == "score"


def test_whole_number_scales_refuse_fractions() -> None:
    with pytest.raises(InputError, match="whole numbers"):
        check_score(InstrumentCreate(instrument="pain_nrs", score=4.5))
    check_score(InstrumentCreate(instrument="pain_vas", score=45.5))


def test_items_are_range_checked_and_named() -> None:
    check_score(InstrumentCreate(instrument="oswestry", score=32, items=[1, 2, 5, 0]))
    with pytest.raises(InputError) as refused:
        check_score(InstrumentCreate(instrument="oswestry", score=32, items=[1, 6]))
    assert refused.value.field == "items.1"
    with pytest.raises(InputError, match="at most 10"):
        check_score(InstrumentCreate(instrument="oswestry", score=32, items=[1] * 11))


def test_subscales_are_required_where_the_instrument_has_no_total() -> None:
    with pytest.raises(InputError) as refused:
        check_score(InstrumentCreate(instrument="koos", score=50))
    assert refused.value.field == "subscale"
    with pytest.raises(InputError):
        check_score(InstrumentCreate(instrument="koos", subscale="total", score=50))
    with pytest.raises(InputError):
        check_score(InstrumentCreate(instrument="pain_nrs", subscale="pain", score=5))
