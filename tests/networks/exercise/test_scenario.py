"""Scenario files: checking every line, then replaying them in order."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from leitstelle.networks.exercise import scenario, services
from leitstelle.networks.exercise.management.commands.demo import SCENARIO
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost
from tests.networks.exercise.conftest import PNG


def jsonl(*lines: object) -> bytes:
    return b"".join(
        (line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n"
        for line in lines
    )


def parse(data: bytes, base: Path = Path()) -> list[scenario.Event]:
    return scenario.parse_stream(io.BytesIO(data), base=base)


def problems(data: bytes, base: Path = Path()) -> list[str]:
    with pytest.raises(scenario.ScenarioInvalid) as caught:
        parse(data, base)
    return [str(problem) for problem in caught.value.problems]


def line(offset: float = 0, **fields: object) -> dict[str, object]:
    return {"offset": offset, "author": "anwohner42", "text": "Hallo", **fields}


class Recorder:
    """Stand in for the clock: note every wait, stop when told to."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.waits: list[float] = []
        self.stop_after = stop_after

    def __call__(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return self.stop_after is not None and len(self.waits) > self.stop_after


def run(events, account, *, speed=0.0, wait=None, key_prefix=""):
    reports: list[str] = []
    outcome = scenario.replay(
        events,
        account=account,
        speed=speed,
        wait=wait or Recorder(),
        report=reports.append,
        key_prefix=key_prefix,
    )
    return outcome, reports


# Reading


def test_it_reads_a_good_scenario():
    events = parse(
        jsonl(
            line(0, reply_to="post"),
            {"offset": 12.5, "author": {"handle": "Mia_K", "name": "Mia K."},
             "text": "Antwort", "reply_to": "#1"},
            line(30, reply_to=42),
            line(30, reply_to="post:2"),
        )
    )  # fmt: skip
    assert [(e.line, e.offset, e.handle, e.reply_to) for e in events] == [
        (1, 0.0, "anwohner42", "post"),
        (2, 12.5, "mia_k", "#1"),
        (3, 30.0, "anwohner42", "42"),
        (4, 30.0, "anwohner42", "post:2"),
    ]
    assert events[1].name == "Mia K."


def test_it_reads_the_shipped_demo_scenario():
    events = scenario.read_scenario(SCENARIO)
    assert 15 <= len(events) <= 25
    texts = " ".join(event.text for event in events)
    assert "Ich habe den Mann gestern am Hauptbahnhof gesehen" in texts
    assert "riecht es nach Gas" in texts


def test_it_skips_blank_lines_and_a_byte_order_mark():
    events = parse(b"\xef\xbb\xbf" + jsonl(line(0)) + b"\n   \n" + jsonl(line(5)))
    assert [event.line for event in events] == [1, 4]


def test_it_reports_every_bad_line_with_its_number_and_reason():
    data = jsonl(
        line(0),
        b"{not json",
        [1, 2],
        line(0, colour="red"),
        {"author": "a", "text": "b"},
        line("soon"),
        line(-1),
        line(True),
        {"offset": 1, "author": 7, "text": "x"},
        {"offset": 1, "author": {"name": "Ohne Handle"}, "text": "x"},
        {"offset": 1, "author": "hat leerzeichen", "text": "x"},
        {"offset": 1, "author": "a", "text": 5},
        {"offset": 1, "author": "a", "text": "  "},
        {"offset": 1, "author": "a", "text": "x" * 501},
        line(1, reply_to="#99"),
        line(1, reply_to="#2"),
        line(1, reply_to="irgendwas"),
        line(1, reply_to=["post"]),
        line(1, media="bild.png"),
        line(1, media=["bild.png"]),
        line(1),
        line(0.5),
    )
    assert problems(data) == [
        "line 2: is not valid JSON: Expecting property name enclosed in double "
        "quotes (column 2)",
        'line 3: must be a JSON object like {"offset": 0, ...}',
        "line 4: unknown field colour",
        "line 5: offset is missing",
        "line 6: offset must be a number of seconds",
        "line 7: offset must be a number of seconds, 0 or more",
        "line 8: offset must be a number of seconds",
        'line 9: author must be a handle or {"handle": ..., "name": ...}',
        'line 10: author must be a handle or {"handle": ..., "name": ...}',
        "line 11: A handle has 1 to 30 letters, digits or underscores, "
        "not “hat leerzeichen”.",
        "line 12: text must be a string",
        "line 13: text is empty",
        "line 14: text has 501 characters, at most 500 allowed",
        "line 15: reply_to #99 must refer to a line above",
        "line 16: reply_to #2: line 2 is blank or has problems",
        'line 17: reply_to "irgendwas" is not "post", "post:2", "#3" or a post id',
        'line 18: reply_to must be "post", "post:2", "#3" or a post id',
        "line 19: media must be a list",
        'line 20: each media entry must be {"path": ..., "alt": ...}',
        "line 22: offset 0.5 is earlier than the line before (1)",
    ]


def test_it_refuses_infinite_offsets():
    assert problems(b'{"offset": Infinity, "author": "a", "text": "x"}\n') == [
        "line 1: offset must be a number of seconds, 0 or more"
    ]


def test_it_reports_broken_utf8_and_goes_on():
    data = jsonl(line(0)) + b'{"offset": 1, "author": "a", "text": "\xff"}\n' + b"{"
    assert problems(data) == [
        "line 2: is not valid UTF-8 (byte 39)",
        "line 3: is not valid JSON: Expecting property name enclosed in double "
        "quotes (column 2)",
    ]


def test_it_reports_a_huge_line_and_goes_on():
    huge = json.dumps(line(0, text="x" * 100_000)).encode()
    assert problems(jsonl(huge, line(0), b"[1]")) == [
        "line 1: is longer than 65536 bytes",
        'line 3: must be a JSON object like {"offset": 0, ...}',
    ]


def test_it_refuses_an_empty_scenario():
    assert problems(b"\n\n") == ["the scenario has no events"]


def test_it_says_when_the_file_cannot_be_read(tmp_path):
    with pytest.raises(scenario.ScenarioInvalid, match="cannot be read"):
        scenario.read_scenario(tmp_path / "fehlt.jsonl")


def test_it_reads_images_relative_to_the_file(tmp_path):
    (tmp_path / "bilder").mkdir()
    (tmp_path / "bilder" / "auto.png").write_bytes(PNG)
    path = tmp_path / "szenario.jsonl"
    entry = {"path": "bilder/auto.png", "alt": "Ein Kombi"}
    path.write_bytes(jsonl(line(0, media=[entry])))
    (event,) = scenario.read_scenario(path)
    assert event.images == (
        scenario.Image(tmp_path / "bilder" / "auto.png", "Ein Kombi"),
    )


def test_it_reports_bad_images(tmp_path):
    (tmp_path / "text.png").write_bytes(b"kein Bild")
    (tmp_path / "ok.png").write_bytes(PNG)
    data = jsonl(
        line(0, media=[{"path": "fehlt.png"}]),
        line(0, media=[{"path": "text.png"}]),
        line(0, media=[{"path": "ok.png"}] * 5),
        line(0, media=[{"path": "ok.png", "alt": 3}]),
    )
    assert problems(data, tmp_path) == [
        "line 1: media fehlt.png cannot be read (No such file or directory)",
        "line 2: media text.png is not a JPEG, PNG or WebP image",
        "line 3: media has 5 images, at most 4",
        "line 4: alt must be a text of at most 1500 characters",
    ]


# Replaying


@pytest.fixture
def two_posts(police) -> tuple[ExercisePost, ExercisePost]:
    older = services.create_post(account=police, text="Älterer Beitrag")
    newer = services.create_post(account=police, text="Neuester Beitrag")
    return older, newer


def test_it_replays_in_order_with_the_right_parents(police, two_posts):
    older, newer = two_posts
    events = parse(
        jsonl(
            line(0, reply_to="post"),
            line(1, reply_to="post:2"),
            line(2, reply_to="#1", author="polizei_test"),
            line(3, reply_to=older.pk),
            line(4, text="Hallo @polizei_test"),
        )
    )
    outcome, _ = run(events, police)
    posts = list(ExercisePost.objects.order_by("id"))[2:]
    assert outcome == scenario.Outcome(played=5)
    assert [p.in_reply_to for p in posts] == [newer, older, posts[0], older, None]
    assert posts[2].account == police
    assert list(posts[4].mentions.all()) == [police]


def test_it_waits_offset_by_speed_between_events(police, two_posts):
    events = parse(jsonl(line(0), line(15), line(15), line(45)))
    wait = Recorder()
    run(events, police, speed=10, wait=wait)
    assert wait.waits == [0.0, 1.5, 0.0, 3.0]


def test_it_waits_real_time_at_speed_one(police, two_posts):
    events = parse(jsonl(line(2), line(32)))
    wait = Recorder()
    run(events, police, speed=1, wait=wait)
    assert wait.waits == [2.0, 30.0]


def test_it_does_not_wait_at_speed_zero(police, two_posts):
    events = parse(jsonl(line(0), line(600)))
    wait = Recorder()
    run(events, police, speed=0, wait=wait)
    assert wait.waits == [0.0, 0.0]


def test_it_stops_cleanly_when_told_to(police, two_posts):
    events = parse(jsonl(line(0), line(10), line(20)))
    outcome, reports = run(events, police, speed=1, wait=Recorder(stop_after=2))
    assert outcome == scenario.Outcome(played=2, stopped=True)
    assert len(reports) == 2
    assert ExercisePost.objects.count() == 4


def test_it_reports_progress(police, two_posts):
    events = parse(jsonl(line(0), line(30, text="Zweite\nZeile " + "x" * 80)))
    _, reports = run(events, police)
    assert reports[0] == "[1/2] +0s @anwohner42: Hallo"
    assert reports[1] == f"[2/2] +30s @anwohner42: Zweite Zeile {'x' * 46}…"


def test_it_creates_unknown_authors_as_citizens(police, two_posts):
    author = {"handle": "mia_k", "name": "Mia K."}
    run(parse(jsonl({"offset": 0, "author": author, "text": "Hi"})), police)
    created = ExerciseAccount.objects.get(handle="mia_k")
    assert (created.display_name, created.is_organisation) == ("Mia K.", False)


def test_it_posts_nothing_when_a_reference_cannot_be_resolved(police, two_posts):
    events = parse(jsonl(line(0), line(1, reply_to="post:3"), line(2, reply_to=999)))
    with pytest.raises(scenario.ScenarioInvalid) as caught:
        run(events, police)
    assert [str(p) for p in caught.value.problems] == [
        "line 2: reply_to post:3: @polizei_test has 2 posts",
        "line 3: reply_to 999: no such post",
    ]
    assert ExercisePost.objects.count() == 2


def test_it_goes_on_after_a_refused_event(police, two_posts):
    blocked = services.create_account(handle="troll", display_name="Troll")
    services.block(account=police, author_id=str(blocked.pk))
    events = parse(
        jsonl(
            line(0, author="troll", reply_to="post"),
            line(1, reply_to="#1"),
            line(2, reply_to="post"),
        )
    )
    outcome, reports = run(events, police)
    assert outcome == scenario.Outcome(played=1, failed=2)
    assert reports[0] == (
        "[1/3] +0s @troll: not posted: @troll has been blocked and cannot answer here."
    )
    assert reports[1] == "[2/3] +1s @anwohner42: not posted: line 1 was not posted"


def test_it_posts_images_with_alt_text(police, two_posts, tmp_path):
    (tmp_path / "foto.png").write_bytes(PNG)
    data = jsonl(line(0, media=[{"path": "foto.png", "alt": "Ein Kombi"}]))
    run(parse(data, tmp_path), police)
    image = ExercisePost.objects.get(account__handle="anwohner42").media.get()
    assert image.alt_text == "Ein Kombi"


def test_it_posts_nothing_twice_with_a_key_prefix(police, two_posts):
    events = parse(jsonl(line(0, reply_to="post"), line(1, reply_to="#1")))
    run(events, police, key_prefix="demo")
    outcome, reports = run(events, police, key_prefix="demo")
    assert outcome == scenario.Outcome(existing=2)
    assert reports[1] == "[2/2] +1s @anwohner42: already posted"
    assert ExercisePost.objects.count() == 4


def test_it_posts_again_without_a_key_prefix(police, two_posts):
    events = parse(jsonl(line(0, reply_to="post")))
    run(events, police)
    run(events, police)
    assert ExercisePost.objects.count() == 4
