from __future__ import annotations

from django.utils import translation

from leitstelle.triage import categories as cat
from leitstelle.triage.categories import Priority, priority_of


def test_it_has_the_ten_categories_of_the_issue():
    assert cat.CODES == (
        "emergency",
        "threat",
        "abuse",
        "tip",
        "question",
        "claim",
        "criticism",
        "praise",
        "spam",
        "other",
    )
    assert set(cat.LABELS) == set(cat.CODES)


def test_it_orders_priority_emergency_threat_tip_question_rest():
    assert priority_of(["abuse", "emergency"]) is Priority.EMERGENCY
    assert priority_of(["question", "threat"]) is Priority.THREAT
    assert priority_of(["praise", "tip", "question"]) is Priority.TIP
    assert priority_of(["question", "abuse"]) is Priority.QUESTION
    assert priority_of(["abuse", "spam"]) is Priority.NORMAL
    assert priority_of([]) is Priority.NORMAL


def test_it_labels_in_english_source_text():
    with translation.override("en"):
        assert cat.label("emergency") == "Emergency"
        assert cat.label("unheard-of") == "unheard-of"


def test_it_names_codes_that_are_not_categories():
    assert cat.check_codes(["abuse", "Abuse", "hate"]) == ["Abuse", "hate"]
