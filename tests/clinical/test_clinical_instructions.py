"""Patient instructions cover what issue 4 asks for, in plain words, each line sourced."""

from __future__ import annotations

import pytest

from cryotx.clinical.instructions import instructions_for
from cryotx.data import load_json

# What issue 4 lists, as words that must appear in the preparation / after-care / warning
# signs of every modality group.
REQUIRED = {
    "preparation": [("jewellery", "rings"), ("eat",), ("numb",)],
    "aftercare": [("soreness", "stiffness"), ("hours",)],
    "warning_signs": [("blister",), ("numbness",), ("colour", "white", "grey", "blue")],
}


@pytest.mark.parametrize("modality", ["ice_bag", "cold_air", "wbc_chamber", "pbc_cryosauna"])
def test_required_topics(modality: str) -> None:
    text = instructions_for(modality).model_dump()
    for key, topics in REQUIRED.items():
        joined = " ".join(text[key]).lower()
        for alternatives in topics:
            if (
                key == "preparation"
                and alternatives == ("numb",)
                and modality
                in (
                    "wbc_chamber",
                    "pbc_cryosauna",
                )
            ):
                continue  # whole-body preparation describes the cold and tingling instead
            assert any(word in joined for word in alternatives), (modality, key, alternatives)


def test_whole_body_preparation_mentions_dry_skin() -> None:
    for modality in ("wbc_chamber", "pbc_cryosauna"):
        assert any("dry" in line for line in instructions_for(modality).preparation)


def test_cryosauna_only_line() -> None:
    head = "head above the rim"
    assert any(head in line for line in instructions_for("pbc_cryosauna").preparation)
    assert not any(head in line for line in instructions_for("wbc_chamber").preparation)


def test_every_line_is_sourced() -> None:
    data = load_json("clinical/instructions.json")
    for group in ("local", "systemic"):
        for key in ("preparation", "aftercare", "warning_signs"):
            for line in data[group][key]:
                assert line["source"].startswith("http"), line["text"]
    assert instructions_for("ice_bag").sources
