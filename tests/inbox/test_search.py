"""Full-text search over interactions, and highlighting of the matches."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.urls import reverse

from leitstelle.inbox import search
from leitstelle.inbox.models import Interaction
from tests.inbox.factories import InteractionFactory

HOSTILE_QUERIES = [
    '"',
    '""',
    "*",
    "NEAR(a b)",
    "AND OR NOT",
    "-",
    "'); DROP TABLE inbox_interaction; --",
    "text:unfall",
    "^unfall",
    "a\x00b",
    "(((",
    "🚓",
    "x" * 300,
]


def found(q: str) -> set[str]:
    return set(
        search.search(Interaction.objects.all(), q).values_list("text", flat=True)
    )


@pytest.mark.django_db
def test_it_finds_items_by_a_word() -> None:
    InteractionFactory(text="Die Brücke ist wieder frei.")
    InteractionFactory(text="Danke für die schnelle Hilfe")
    assert found("Brücke") == {"Die Brücke ist wieder frei."}, "wrong matches"


@pytest.mark.django_db
@pytest.mark.parametrize("q", ["Unfall", "Unfälle", "unfalls"])
def test_it_finds_german_inflections(q: str) -> None:
    texts = {"Schon wieder ein Unfall", "Die Unfälle häufen sich", "Zeugen des Unfalls"}
    for text in texts:
        InteractionFactory(text=text)
    InteractionFactory(text="Alles ruhig heute")
    assert found(q) == texts, f"{q!r} missed an inflection"


@pytest.mark.django_db
def test_it_needs_every_word_to_match() -> None:
    InteractionFactory(text="Unfall an der Brücke")
    InteractionFactory(text="Unfall auf der Autobahn")
    assert found("Unfall Brücke") == {"Unfall an der Brücke"}, "words not ANDed"


@pytest.mark.django_db
def test_it_returns_everything_for_an_empty_query() -> None:
    InteractionFactory()
    assert search.search(Interaction.objects.all(), "  ").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("q", HOSTILE_QUERIES)
def test_it_survives_hostile_queries(q: str) -> None:
    InteractionFactory(text="Unfall an der Brücke")
    with transaction.atomic():
        list(search.search(Interaction.objects.all(), q))


@pytest.mark.django_db
def test_it_follows_edits_and_deletions() -> None:
    item = InteractionFactory(text="Ursprünglich Fahrrad")
    item.text = "Jetzt Motorrad"
    item.save()
    assert found("Motorrad") == {"Jetzt Motorrad"}, "edited text not found"
    assert found("Fahrrad") == set(), "old text still found"
    item.delete()
    assert found("Motorrad") == set(), "deleted item still found"


@pytest.mark.django_db
def test_it_combines_search_with_filters(admin_client) -> None:
    InteractionFactory(text="Unfall offen", status="open")
    InteractionFactory(text="Unfall erledigt", status="closed")
    response = admin_client.get(
        reverse("inbox:list"), {"q": "Unfälle", "status": "open"}
    )
    assert "<mark>Unfall</mark> offen" in response.text, "match not highlighted"
    assert "erledigt" not in response.text, "filter ignored while searching"


@pytest.mark.django_db
def test_it_uses_the_gin_index_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the GIN index exists on PostgreSQL only")
    InteractionFactory(text="Unfall")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search.search(Interaction.objects.all(), "Unfall").explain()
    assert "inbox_interaction_text_search" in plan, plan


def test_it_quotes_every_term_for_fts5() -> None:
    assert search.fts_expression('Unfälle "x" OR') == '"unfall"* "x"* "or"*'


def test_it_strips_one_german_ending_from_long_words_only() -> None:
    assert [search.stem(t) for t in ("unfalle", "kontrollen", "haus", "ab")] == [
        "unfall",
        "kontroll",
        "haus",
        "ab",
    ]


def test_it_highlights_matches_with_diacritics() -> None:
    result = search.highlight("Die Unfälle und der Unfall", "Unfall")
    assert result == "Die <mark>Unfälle</mark> und der <mark>Unfall</mark>"


def test_it_escapes_before_highlighting() -> None:
    result = search.highlight("<script>alert(1)</script> Unfall", "script Unfall")
    assert "<script" not in result, "markup from the text survived"
    assert "&lt;<mark>script</mark>&gt;" in result, "match inside text not marked"


def test_it_never_marks_inside_an_entity() -> None:
    result = search.highlight("Tom & Jerry <3", "amp lt")
    assert result == "Tom &amp; Jerry &lt;3", f"marked inside an entity: {result}"


def test_it_escapes_text_without_a_query() -> None:
    assert search.highlight("<b>", "") == "&lt;b&gt;"
