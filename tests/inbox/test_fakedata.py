"""The comment generator: varied, bounded, reproducible German text."""

from __future__ import annotations

from datetime import UTC, datetime

from leitstelle.inbox import fakedata

START = datetime(2025, 1, 1, tzinfo=UTC)


def sample(count: int = 2000, seed: int = 7) -> list[fakedata.FakeComment]:
    return list(fakedata.generate(count, seed=seed, start=START))


def test_it_is_reproducible_with_the_same_seed() -> None:
    """The same seed gives the same comments, another seed others."""
    assert sample(200) == sample(200), "same seed, different comments"
    assert sample(200) != sample(200, seed=8), "other seed, same comments"


def test_it_keeps_every_text_between_3_and_600_characters() -> None:
    lengths = [len(comment.text) for comment in sample()]
    assert min(lengths) >= 3, f"too short: {min(lengths)}"
    assert max(lengths) <= 600, f"too long: {max(lengths)}"
    assert max(lengths) > 300, "no long comments at all"


def test_it_varies_the_text() -> None:
    texts = [comment.text for comment in sample()]
    assert len(set(texts)) > len(texts) * 0.6, "too many repeated texts"


def test_it_writes_questions_emoji_and_inflections() -> None:
    text = " ".join(comment.text for comment in sample())
    assert "?" in text, "no questions"
    assert "👍" in text or "🚓" in text, "no emoji"
    for word in ("Unfall", "Unfälle", "Unfalls"):
        assert word in text, f"no {word}"


def test_it_spreads_comments_over_many_authors() -> None:
    authors = {comment.author.remote_id for comment in sample(5000)}
    assert len(authors) > 500, f"only {len(authors)} authors"


def test_it_makes_threads_of_answers_to_earlier_comments() -> None:
    comments = sample()
    seen: set[str] = set()
    answers = 0
    for comment in comments:
        if comment.parent_id:
            assert comment.parent_id in seen, "answer before its parent"
            answers += 1
        seen.add(comment.remote_id)
    assert answers > len(comments) * 0.2, f"only {answers} answers"


def test_it_orders_comments_by_time() -> None:
    times = [comment.created_at for comment in sample()]
    assert times == sorted(times), "comments not oldest first"
