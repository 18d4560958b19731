"""`leitstelle exercise`: make things happen on the exercise network."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from leitstelle.core.audit import record_event
from leitstelle.networks.exercise import scenario
from leitstelle.networks.exercise.models import ExerciseAccount
from leitstelle.networks.models import Channel

INVALID = 2


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """Yield an event that SIGINT or SIGTERM sets, for a clean stop."""
    stop = threading.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_args: stop.set()) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def target_account(*, channel_id: int | None, handle: str | None) -> ExerciseAccount:
    """Return the account whose posts "post" refers to."""
    if channel_id is not None:
        channel = Channel.objects.filter(pk=channel_id, kind="exercise").first()
        if channel is None:
            raise CommandError(f"There is no exercise channel {channel_id}.")
        handle = str(channel.config.get("handle", ""))
    accounts = ExerciseAccount.objects.filter(is_organisation=True)
    if handle:
        found = ExerciseAccount.objects.filter(
            handle=handle.lower().lstrip("@")
        ).first()
        if found is None:
            raise CommandError(f"There is no exercise account @{handle}.")
        return found
    if accounts.count() == 1:
        return accounts.get()
    names = ", ".join(f"@{account.handle}" for account in accounts) or "none yet"
    raise CommandError(
        f"Choose the account with --account HANDLE or --channel ID (accounts: {names})."
    )


def run_replay(
    events: list[scenario.Event],
    *,
    account: ExerciseAccount,
    speed: float,
    out: OutputWrapper,
    key_prefix: str = "",
    source: str,
) -> scenario.Outcome:
    """Replay `events`, stopping cleanly on a signal; audit the run."""

    def report(line: str) -> None:
        out.write(line)
        out.flush()  # progress shows at once, even through a pipe

    with stop_on_signals() as stop:
        outcome = scenario.replay(
            events,
            account=account,
            speed=speed,
            wait=stop.wait,
            report=report,
            key_prefix=key_prefix,
        )
    record_event(
        action="exercise.scenario_replayed",
        target=account,
        actor_label=f"leitstelle {source}",
        details={"events": len(events), "speed": speed, **asdict(outcome)},
    )
    return outcome


class Command(BaseCommand):
    help = "Replay a scenario or write a comment on the exercise network."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        replay = actions.add_parser("replay", help="replay a JSON Lines scenario")
        replay.add_argument("file", type=Path)
        replay.add_argument(
            "--speed",
            type=float,
            default=1.0,
            help="play N times faster than real time; 0 plays all at once",
        )
        replay.add_argument(
            "--no-wait", action="store_true", help="play everything at once"
        )
        self._add_target(replay)
        comment = actions.add_parser("comment", help="write one comment as a citizen")
        comment.add_argument("text")
        comment.add_argument("--author", required=True, help="the citizen's handle")
        comment.add_argument("--name", default="", help="the citizen's name, if new")
        comment.add_argument(
            "--reply-to",
            default="post",
            help='"post" (latest), "post:2" or a post id (default: post)',
        )
        self._add_target(comment)

    def _add_target(self, parser: ArgumentParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--channel", type=int, help="the exercise channel's id")
        group.add_argument("--account", help="the exercise account's handle")

    def handle(self, *args: Any, **options: Any) -> None:
        account = target_account(
            channel_id=options["channel"], handle=options["account"]
        )
        if options["action"] == "replay":
            self.replay(options, account)
        else:
            self.comment(options, account)

    def _invalid(self, exc: scenario.ScenarioInvalid) -> NoReturn:
        for problem in exc.problems:
            self.stderr.write(str(problem))
        raise CommandError(
            "Nothing was posted: fix the problems above first.", returncode=INVALID
        )

    def _events(self, load: Callable[[], list[scenario.Event]]) -> list[scenario.Event]:
        try:
            return load()
        except scenario.ScenarioInvalid as exc:
            self._invalid(exc)

    def _play(self, events: list[scenario.Event], **kwargs: Any) -> scenario.Outcome:
        try:
            return run_replay(events, out=self.stdout, **kwargs)
        except scenario.ScenarioInvalid as exc:
            self._invalid(exc)

    def replay(self, options: dict[str, Any], account: ExerciseAccount) -> None:
        if options["speed"] < 0:
            raise CommandError("--speed must be 0 or more.", returncode=INVALID)
        events = self._events(lambda: scenario.read_scenario(options["file"]))
        speed = 0.0 if options["no_wait"] else options["speed"]
        self.stdout.write(
            f"Replaying {len(events)} events on @{account.handle} "
            f"({'at once' if speed == 0 else f'speed {speed:g}'}); Ctrl+C stops."
        )
        outcome = self._play(
            events, account=account, speed=speed, source="exercise replay"
        )
        self._summary(outcome)

    def comment(self, options: dict[str, Any], account: ExerciseAccount) -> None:
        author = {"handle": options["author"], "name": options["name"]}
        data = {"offset": 0, "author": author, "text": options["text"]}
        data["reply_to"] = options["reply_to"]
        events = self._events(lambda: [self._parse_one(data)])
        self._summary(
            self._play(events, account=account, speed=0, source="exercise comment")
        )

    def _parse_one(self, data: dict[str, Any]) -> scenario.Event:
        try:
            return scenario.parse_event(data, number=1, base=Path.cwd(), good=set())
        except scenario.LineProblem as exc:
            raise scenario.ScenarioInvalid([scenario.Problem(0, str(exc))]) from None

    def _summary(self, outcome: scenario.Outcome) -> None:
        line = (
            f"{outcome.played} posted, {outcome.existing} already there, "
            f"{outcome.failed} failed"
        )
        if outcome.stopped:
            self.stdout.write(self.style.WARNING(f"Stopped: {line}."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Done: {line}."))
