"""Strict payload readers and the quarantine they feed."""

from __future__ import annotations

import pytest

from leitstelle.networks.payloads import (
    PayloadError,
    count,
    dig,
    need_str,
    opt_str,
    parse_each,
)


def test_it_reads_numeric_ids_as_text() -> None:
    assert need_str({"id": 42}, "id") == "42"


@pytest.mark.parametrize("value", [None, "", True, 1.5, ["1"], {"id": 1}])
def test_it_refuses_a_missing_or_odd_required_field(value: object) -> None:
    with pytest.raises(PayloadError, match="id is missing or not text"):
        need_str({"id": value}, "id")


def test_an_optional_field_may_be_missing_but_not_odd() -> None:
    assert opt_str({}, "text") == ""
    with pytest.raises(PayloadError, match="text is not text"):
        opt_str({"text": ["a"]}, "text")


def test_it_digs_without_failing() -> None:
    assert dig({"a": {"b": 1}}, "a", "b") == 1
    assert dig({"a": [1]}, "a", "b") is None
    assert count({"n": True}, "n") is None and count({"n": 3}, "n") == 3


def test_it_keeps_failures_in_quarantine_and_skips_nothing_else() -> None:
    def parse(raw: object) -> str | None:
        if raw == "skip":
            return None
        return need_str(raw, "id")  # type: ignore[arg-type]

    items, quarantined = parse_each([{"id": "a"}, "skip", {"id": None}, 7], parse)
    assert items == ["a"]
    assert [q.raw for q in quarantined] == [{"id": None}, 7]
    assert quarantined[0].reason == "id is missing or not text"
    assert quarantined[1].reason == "'int' object has no attribute 'get'"


def test_it_can_keep_just_the_payload_of_an_entry() -> None:
    _, [quarantined] = parse_each(
        [({"id": None}, "parent")], lambda e: need_str(e[0], "id"), kept=lambda e: e[0]
    )
    assert quarantined.raw == {"id": None}
