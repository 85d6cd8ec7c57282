"""The published vocabulary: DESIGN.md codes present, no invented terminology codes."""

from __future__ import annotations

import pytest

from cryotx.clinical.vocabulary import codes_of, lookup, modality_group, vocabulary
from cryotx.errors import InputError

# DESIGN.md, Patient contract: the codes the vocabulary must publish at least.
DESIGN_INDICATIONS = {
    "knee_osteoarthritis",
    "hip_osteoarthritis",
    "rheumatoid_arthritis",
    "ankylosing_spondylitis",
    "low_back_pain",
    "fibromyalgia",
    "tendinopathy",
    "bursitis",
}
DESIGN_CONDITIONS = set(
    [
        "raynaud",
        "cold_urticaria",
        "cryoglobulinemia",
        "cold_agglutinin_disease",
        "peripheral_arterial_disease",
        "deep_vein_thrombosis",
        "pregnancy",
        "pacemaker",
        "heart_failure",
        "unstable_angina",
        "arrhythmia",
        "valvular_stenosis",
        "hypertension",
        "epilepsy_uncontrolled",
        "acute_respiratory_disease",
        "copd",
        "cold_induced_asthma",
        "severe_anemia",
        "bleeding_disorder",
        "open_wound",
        "impaired_sensation",
        "regenerating_nerve",
        "claustrophobia",
        "hypothyroidism",
        "active_cancer",
        "acute_kidney_disease",
        "acute_infection",
        "intoxication",
        "cachexia",
    ]
)
DESIGN_MODALITIES = set(
    [
        "ice_bag",
        "gel_pack",
        "frozen_peas",
        "ice_massage",
        "cryo_cuff",
        "cold_air",
        "co2",
        "ln2_vapour",
        "cold_water",
        "wbc_chamber",
        "pbc_cryosauna",
    ]
)
# clinical-evidence.md section 4.2: the only verified SNOMED CT code for a vocabulary concept.
VERIFIED_SNOMED = {"cryotherapy": "26782000"}


def test_design_codes_are_published() -> None:
    assert codes_of("indication") >= DESIGN_INDICATIONS
    assert codes_of("condition") >= DESIGN_CONDITIONS
    assert codes_of("event") == {"myocardial_infarction", "coronary_stent", "stroke"}
    assert codes_of("modality") >= DESIGN_MODALITIES


def test_no_invented_codes() -> None:
    for entry in vocabulary().codes:
        assert entry.icd10 is None, entry.code  # every ICD-10 candidate is unverified (4.1)
        assert entry.snomed_ct == VERIFIED_SNOMED.get(entry.code), entry.code
        assert entry.coding_note


def test_versioned() -> None:
    assert vocabulary().version


def test_lookup() -> None:
    assert lookup("raynaud").kind == "condition"
    with pytest.raises(InputError) as error:
        lookup("frostbitten_toe", field="conditions.0")
    assert error.value.field == "conditions.0"


@pytest.mark.parametrize(
    ("modality", "group"),
    [("ice_bag", "local"), ("ln2_vapour", "local"), ("wbc_chamber", "systemic")],
)
def test_modality_group(modality: str, group: str) -> None:
    assert modality_group(modality) == group


def test_modality_group_refuses_non_modality() -> None:
    with pytest.raises(InputError, match="not a modality"):
        modality_group("raynaud")
