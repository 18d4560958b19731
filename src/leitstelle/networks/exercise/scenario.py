"""Scenario files: comments that happen on the exercise network over time.

A scenario is JSON Lines, one event a line (blank lines are skipped):

    {"offset": 30, "author": "anwohner42", "text": "Wo war das?", "reply_to": "post"}
    {"offset": 45, "author": {"handle": "mia_k", "name": "Mia K."},
     "text": "Hier ein Foto", "reply_to": "#1",
     "media": [{"path": "bilder/unfall.jpg", "alt": "Ein verbeultes Auto"}]}

- offset: seconds after the start, a number >= 0, never before the line above;
- author: a handle, or {"handle": ..., "name": ...}; unknown authors become
  simulated citizens;
- reply_to (optional): "post" (the account's latest post), "post:2" (the one
  before it, and so on), "#3" (what line 3 of this file posted) or the id of a
  post on the exercise network;
- media (optional): up to 4 images, paths relative to the scenario file.

Every line is checked before anything is posted; `ScenarioInvalid` lists all
problems with their line numbers.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from leitstelle.networks.base import Media
from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost

MAX_LINE_BYTES = 64 * 1024
FIELDS = frozenset({"offset", "author", "text", "reply_to", "media"})
LATEST_RE = re.compile(r"post(?::([1-9][0-9]{0,3}))?")
LINE_RE = re.compile(r"#([1-9][0-9]{0,6})")
POST_ID_RE = re.compile(r"[1-9][0-9]{0,17}")


@dataclass(frozen=True)
class Image:
    path: Path
    alt: str


@dataclass(frozen=True)
class Event:
    line: int
    offset: float
    handle: str
    name: str
    text: str
    reply_to: str = ""
    images: tuple[Image, ...] = ()


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


class ScenarioInvalid(Exception):
    """The scenario has problems; nothing of it has been posted."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = tuple(problems)


class LineProblem(Exception):
    pass


# Reading and checking


def _lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Yield each line's number and bytes; None for a line that is too long."""
    number = 0
    while chunk := stream.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(chunk) <= MAX_LINE_BYTES or chunk.endswith(b"\n"):
            yield number, chunk
            continue
        while chunk and not chunk.endswith(b"\n"):
            chunk = stream.readline(MAX_LINE_BYTES)
        yield number, None


def _offset(data: dict[str, Any], previous: float) -> float:
    if "offset" not in data:
        raise LineProblem("offset is missing")
    offset = data["offset"]
    if isinstance(offset, bool) or not isinstance(offset, int | float):
        raise LineProblem("offset must be a number of seconds")
    if not math.isfinite(offset) or offset < 0:
        raise LineProblem("offset must be a number of seconds, 0 or more")
    if offset < previous:
        raise LineProblem(
            f"offset {offset:g} is earlier than the line before ({previous:g})"
        )
    return float(offset)


def _author(data: dict[str, Any]) -> tuple[str, str]:
    author = data.get("author")
    name = ""
    if isinstance(author, dict):
        if set(author) - {"handle", "name"}:
            raise LineProblem("author may only have a handle and a name")
        author, name = author.get("handle"), author.get("name", "")
        if not isinstance(name, str):
            raise LineProblem("the author's name must be a string")
    if not isinstance(author, str):
        raise LineProblem('author must be a handle or {"handle": ..., "name": ...}')
    try:
        return services.clean_handle(author), name.strip()
    except services.ExerciseError as exc:
        raise LineProblem(exc.message) from None


def _text(data: dict[str, Any]) -> str:
    text = data.get("text")
    if not isinstance(text, str):
        raise LineProblem("text must be a string")
    if not text.strip() and not data.get("media"):
        raise LineProblem("text is empty")
    length = services.text_length(text)
    if length > services.MAX_TEXT_LENGTH:
        raise LineProblem(
            f"text has {length} characters, at most {services.MAX_TEXT_LENGTH} allowed"
        )
    return text


def _reply_to(data: dict[str, Any], number: int, good: set[int]) -> str:
    reference = data.get("reply_to")
    if reference is None:
        return ""
    if isinstance(reference, int) and not isinstance(reference, bool):
        reference = str(reference)
    if not isinstance(reference, str):
        raise LineProblem('reply_to must be "post", "post:2", "#3" or a post id')
    if match := LINE_RE.fullmatch(reference):
        target = int(match[1])
        if target >= number:
            raise LineProblem(f"reply_to {reference} must refer to a line above")
        if target not in good:
            raise LineProblem(
                f"reply_to {reference}: line {target} is blank or has problems"
            )
    elif not (LATEST_RE.fullmatch(reference) or POST_ID_RE.fullmatch(reference)):
        raise LineProblem(
            f'reply_to "{reference}" is not "post", "post:2", "#3" or a post id'
        )
    return reference


def _image(item: Any, base: Path) -> Image:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        raise LineProblem('each media entry must be {"path": ..., "alt": ...}')
    alt = item.get("alt", "")
    if not isinstance(alt, str) or len(alt) > services.MAX_ALT_TEXT:
        raise LineProblem(
            f"alt must be a text of at most {services.MAX_ALT_TEXT} characters"
        )
    path = base / item["path"]
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(16)
    except OSError as exc:
        raise LineProblem(
            f"media {item['path']} cannot be read ({exc.strerror})"
        ) from None
    if services.sniff_image(head) is None:
        raise LineProblem(f"media {item['path']} is not a JPEG, PNG or WebP image")
    if size > services.MAX_IMAGE_BYTES:
        raise LineProblem(f"media {item['path']} is larger than 8 MB")
    return Image(path, alt)


def _images(data: dict[str, Any], base: Path) -> tuple[Image, ...]:
    media = data.get("media", [])
    if not isinstance(media, list):
        raise LineProblem("media must be a list")
    if len(media) > services.MAX_IMAGES:
        raise LineProblem(
            f"media has {len(media)} images, at most {services.MAX_IMAGES}"
        )
    return tuple(_image(item, base) for item in media)


def parse_event(
    data: Any, *, number: int, base: Path, previous: float = 0.0, good: set[int]
) -> Event:
    """Check one decoded line; raise `LineProblem` with the reason."""
    if not isinstance(data, dict):
        raise LineProblem('must be a JSON object like {"offset": 0, ...}')
    if unknown := sorted(set(data) - FIELDS):
        raise LineProblem(f"unknown field {', '.join(unknown)}")
    offset = _offset(data, previous)
    handle, name = _author(data)
    return Event(
        line=number,
        offset=offset,
        handle=handle,
        name=name,
        text=_text(data),
        reply_to=_reply_to(data, number, good),
        images=_images(data, base),
    )


def _decode(raw: bytes | None, number: int) -> Any:
    if raw is None:
        raise LineProblem(f"is longer than {MAX_LINE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineProblem(f"is not valid UTF-8 (byte {exc.start + 1})") from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineProblem(
            f"is not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None


def parse_stream(stream: IO[bytes], *, base: Path) -> list[Event]:
    """Check every line; return the events or raise `ScenarioInvalid`."""
    events: list[Event] = []
    problems: list[Problem] = []
    previous = 0.0
    for number, raw in _lines(stream):
        try:
            data = _decode(raw, number)
            if data is None:
                continue
            good = {event.line for event in events}
            event = parse_event(
                data, number=number, base=base, previous=previous, good=good
            )
        except LineProblem as exc:
            problems.append(Problem(number, str(exc)))
            continue
        events.append(event)
        previous = event.offset
    if problems:
        raise ScenarioInvalid(problems)
    if not events:
        raise ScenarioInvalid([Problem(0, "the scenario has no events")])
    return events


def read_scenario(path: Path) -> list[Event]:
    try:
        with path.open("rb") as stream:
            return parse_stream(stream, base=path.parent)
    except OSError as exc:
        raise ScenarioInvalid(
            [Problem(0, f"{path} cannot be read ({exc.strerror})")]
        ) from None


# Replaying


def _latest_position(reference: str) -> int | None:
    match = LATEST_RE.fullmatch(reference)
    return int(match[1] or 1) if match else None


def _parent(event: Event, latest: list[ExercisePost], handle: str) -> ExercisePost:
    """Return the post `event` answers; raise `LineProblem` if there is none."""
    position = _latest_position(event.reply_to)
    if position is not None:
        if position > len(latest):
            raise LineProblem(
                f"reply_to {event.reply_to}: @{handle} has {len(latest)} posts"
            )
        return latest[position - 1]
    found = ExercisePost.objects.visible().filter(pk=int(event.reply_to)).first()
    if found is None:
        raise LineProblem(f"reply_to {event.reply_to}: no such post")
    return found


def resolve(
    events: Sequence[Event], account: ExerciseAccount
) -> dict[int, ExercisePost]:
    """Find the posts that "post", "post:N" and post ids refer to, by line."""
    depth = max((_latest_position(e.reply_to) or 0 for e in events), default=0)
    latest = list(
        account.posts.visible()
        .filter(in_reply_to__isnull=True)
        .order_by("-created_at", "-id")[:depth]
    )
    parents, problems = {}, []
    for event in events:
        if not event.reply_to or event.reply_to.startswith("#"):
            continue
        try:
            parents[event.line] = _parent(event, latest, account.handle)
        except LineProblem as exc:
            problems.append(Problem(event.line, str(exc)))
    if problems:
        raise ScenarioInvalid(problems)
    return parents


@dataclass(frozen=True)
class Outcome:
    played: int = 0
    existing: int = 0
    failed: int = 0
    stopped: bool = False


def preview(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else f"{flat[: length - 1]}…"


def _media(event: Event) -> tuple[Media, ...]:
    return tuple(
        Media(image.path.read_bytes(), "", image.alt) for image in event.images
    )


class Replay:
    """Post a scenario's events, remembering what each line posted."""

    def __init__(
        self, events: Sequence[Event], *, account: ExerciseAccount, key_prefix: str
    ) -> None:
        self.events = events
        self.parents = resolve(events, account)
        self.key_prefix = key_prefix
        self.posted: dict[int, ExercisePost] = {}

    def play(self, event: Event) -> tuple[str, str]:
        """Post one event; return its outcome and what to report."""
        author, _created = services.get_or_create_account(
            handle=event.handle, display_name=event.name
        )
        key = f"{self.key_prefix}:{event.line}" if self.key_prefix else ""
        if (earlier := services.post_with_key(author, key)) is not None:
            self.posted[event.line] = earlier
            return "existing", "already posted"
        parent = self.parents.get(event.line)
        if event.reply_to.startswith("#"):
            parent = self.posted.get(int(event.reply_to[1:]))
            if parent is None:
                return "failed", f"not posted: line {event.reply_to[1:]} was not posted"
        try:
            self.posted[event.line] = services.create_post(
                account=author,
                text=event.text,
                in_reply_to=parent,
                media=_media(event),
                idempotency_key=key,
            )
        except services.ExerciseError as exc:
            return "failed", f"not posted: {exc.message}"
        except OSError as exc:
            return "failed", f"not posted: an image cannot be read ({exc.strerror})"
        return "played", preview(event.text)


def replay(
    events: Sequence[Event],
    *,
    account: ExerciseAccount,
    speed: float,
    wait: Callable[[float], bool],
    report: Callable[[str], None],
    key_prefix: str = "",
) -> Outcome:
    """Post the events in order, waiting `offset / speed` between them.

    `wait(seconds)` returns True when the replay should stop. With a
    `key_prefix`, lines posted by an earlier replay are not posted again.
    """
    run = Replay(events, account=account, key_prefix=key_prefix)
    counts = {"played": 0, "existing": 0, "failed": 0}
    previous = 0.0
    for index, event in enumerate(events, 1):
        delay = (event.offset - previous) / speed if speed > 0 else 0.0
        previous = event.offset
        if wait(delay):
            return Outcome(**counts, stopped=True)
        outcome, message = run.play(event)
        counts[outcome] += 1
        report(f"[{index}/{len(events)}] +{event.offset:g}s @{event.handle}: {message}")
    return Outcome(**counts)
