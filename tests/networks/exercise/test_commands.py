"""`leitstelle exercise` and `leitstelle demo`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from leitstelle.core.models import AuditEvent, Unit
from leitstelle.inbox.models import SavedReply
from leitstelle.networks.base import OutgoingPost
from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.management.commands import demo
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost
from leitstelle.networks.models import Channel
from tests.networks.exercise.conftest import make_channel

pytestmark = pytest.mark.django_db


def command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write_scenario(path: Path, *lines: dict) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    return write_scenario(
        tmp_path / "szenario.jsonl",
        {
            "offset": 0,
            "author": "anwohner42",
            "text": "Wo war das?",
            "reply_to": "post",
        },
        {"offset": 30, "author": "mia_k", "text": "Ich war dabei.", "reply_to": "#1"},
    )


@pytest.fixture
def post(police) -> ExercisePost:
    return services.create_post(account=police, text="Zeugenaufruf")


# exercise replay


def test_it_replays_a_scenario_at_once(scenario_file, post):
    out, _ = command("exercise", "replay", str(scenario_file), "--no-wait")
    assert "Replaying 2 events on @polizei_test (at once)" in out
    assert "[1/2] +0s @anwohner42: Wo war das?" in out
    assert "[2/2] +30s @mia_k: Ich war dabei." in out
    assert "Done: 2 posted, 0 already there, 0 failed." in out
    assert ExercisePost.objects.filter(root=post).count() == 2


def test_speed_zero_replays_at_once(scenario_file, post):
    out, _ = command("exercise", "replay", str(scenario_file), "--speed", "0")
    assert "(at once)" in out
    assert ExercisePost.objects.filter(root=post).count() == 2


def test_it_records_the_replay_in_the_audit_log(scenario_file, post):
    command("exercise", "replay", str(scenario_file), "--no-wait")
    event = AuditEvent.objects.get(action="exercise.scenario_replayed")
    assert event.actor_label == "leitstelle exercise replay"
    assert event.details["played"] == 2
    assert event.details["stopped"] is False


def test_it_posts_nothing_from_a_file_with_bad_lines(tmp_path, post):
    path = tmp_path / "kaputt.jsonl"
    path.write_text('{"offset": 0, "author": "a", "text": "ok"}\n{"offset": -1}\n[]\n')
    with pytest.raises(CommandError) as caught:
        command("exercise", "replay", str(path), "--no-wait")
    assert caught.value.returncode == 2
    assert ExercisePost.objects.count() == 1


def test_it_lists_every_bad_line_on_stderr(tmp_path, post):
    path = tmp_path / "kaputt.jsonl"
    path.write_text('{"offset": 0, "author": "a", "text": "ok"}\n{"offset": -1}\n[]\n')
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was posted"):
        call_command("exercise", "replay", str(path), stderr=err, stdout=StringIO())
    assert err.getvalue().splitlines() == [
        "line 2: offset must be a number of seconds, 0 or more",
        'line 3: must be a JSON object like {"offset": 0, ...}',
    ]


def test_it_reports_a_reference_that_cannot_be_resolved(tmp_path, police):
    path = write_scenario(
        tmp_path / "s.jsonl",
        {"offset": 0, "author": "a", "text": "x", "reply_to": "post"},
    )
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("exercise", "replay", str(path), stderr=err, stdout=StringIO())
    assert caught.value.returncode == 2
    assert "line 1: reply_to post: @polizei_test has 0 posts" in err.getvalue()


def test_it_refuses_a_negative_speed(scenario_file, post):
    with pytest.raises(CommandError, match="--speed must be 0 or more"):
        command("exercise", "replay", str(scenario_file), "--speed", "-1")


def test_it_replays_on_the_account_of_a_channel(scenario_file, post, db):
    other = services.create_account(
        handle="pd_leipzig", display_name="PD Leipzig", is_organisation=True
    )
    services.create_post(account=other, text="Leipzig")
    channel = make_channel(post.account)
    command(
        "exercise",
        "replay",
        str(scenario_file),
        "--no-wait",
        "--channel",
        str(channel.pk),
    )
    assert ExercisePost.objects.filter(root=post).count() == 2


def test_it_replays_on_a_chosen_account(scenario_file, post):
    other = services.create_account(
        handle="pd_leipzig", display_name="PD Leipzig", is_organisation=True
    )
    leipzig = services.create_post(account=other, text="Leipzig")
    command(
        "exercise",
        "replay",
        str(scenario_file),
        "--no-wait",
        "--account",
        "@PD_Leipzig",
    )
    assert ExercisePost.objects.filter(root=leipzig).count() == 2


def test_it_asks_which_account_when_there_are_several(scenario_file, post):
    services.create_account(
        handle="pd_leipzig", display_name="PD", is_organisation=True
    )
    with pytest.raises(CommandError, match="@pd_leipzig, @polizei_test"):
        command("exercise", "replay", str(scenario_file), "--no-wait")


def test_it_refuses_an_unknown_channel(scenario_file, post):
    with pytest.raises(CommandError, match="There is no exercise channel 99"):
        command("exercise", "replay", str(scenario_file), "--channel", "99")


def test_it_refuses_an_unknown_account(scenario_file, post):
    with pytest.raises(CommandError, match="There is no exercise account @niemand"):
        command("exercise", "replay", str(scenario_file), "--account", "niemand")


# exercise comment


def test_it_writes_one_comment_on_the_latest_post(police, post):
    out, _ = command("exercise", "comment", "Gibt es Neuigkeiten?", "--author", "mia_k")
    created = ExercisePost.objects.get(account__handle="mia_k")
    assert (created.in_reply_to, created.text) == (post, "Gibt es Neuigkeiten?")
    assert "Done: 1 posted" in out


def test_it_writes_a_comment_on_a_chosen_post(police, post):
    older = services.create_post(account=police, text="Noch einer")
    command(
        "exercise", "comment", "Hallo", "--author", "mia_k", "--reply-to", str(post.pk)
    )
    assert ExercisePost.objects.get(account__handle="mia_k").in_reply_to == post
    assert older.replies.count() == 0


def test_it_refuses_a_bad_comment(police, post):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "exercise",
            "comment",
            "  ",
            "--author",
            "mia_k",
            stderr=err,
            stdout=StringIO(),
        )
    assert err.getvalue().strip() == "text is empty"


# Stopping on a signal


def child_database_url() -> str:
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_it_stops_cleanly_on_sigterm(tmp_path, police):
    services.create_post(account=police, text="Zeugenaufruf")
    path = write_scenario(
        tmp_path / "lang.jsonl",
        {"offset": 0, "author": "anwohner42", "text": "Sofort", "reply_to": "post"},
        {
            "offset": 3600,
            "author": "anwohner42",
            "text": "Viel später",
            "reply_to": "post",
        },
    )
    # No PYTHONUNBUFFERED: the progress must show through a pipe by itself.
    env = {**os.environ, "DATABASE_URL": child_database_url(),
           "LEITSTELLE_DATA_DIR": str(tmp_path)}  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-m", "leitstelle.cli", "exercise", "replay", str(path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = []
        while not any("[1/2]" in line for line in lines):
            line = child.stdout.readline()
            assert line, f"the replay ended early: {''.join(lines)}"
            lines.append(line)
        started = time.monotonic()
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()
    assert time.monotonic() - started < 5
    assert "Stopped: 1 posted, 0 already there, 0 failed." in child.stdout.read()
    assert ExercisePost.objects.filter(account__handle="anwohner42").count() == 1


# demo


def test_demo_creates_units_account_channel_posts_and_comments():
    out, _ = command("demo")
    account = ExerciseAccount.objects.get(handle=demo.HANDLE)
    channel = Channel.objects.get(kind="exercise")
    assert set(Unit.objects.values_list("name", flat=True)) >= {"Dresden", "Leipzig"}
    assert (account.display_name, account.is_organisation) == (demo.NAME, True)
    assert (channel.handle, channel.remote_id) == (demo.HANDLE, str(account.pk))
    assert account.posts.filter(in_reply_to__isnull=True).count() == len(demo.POSTS)
    assert ExercisePost.objects.exclude(account=account).count() == 21
    assert "/uebungsnetz/polizei_sachsen_uebung/" in out


def test_demo_leaves_a_living_inbox():
    command("demo")
    connector = Channel.objects.get(kind="exercise").connector
    page = connector.fetch_interactions({})
    texts = [item.text for item in page.items]
    assert len(texts) == 21
    assert any("riecht es nach Gas" in text for text in texts)


def test_demo_adds_saved_replies_in_two_languages():
    out, _ = command("demo")
    languages = set(SavedReply.objects.values_list("language", flat=True))
    assert SavedReply.objects.count() == len(demo.SAVED_REPLIES)
    assert languages == {"de", "en"}
    assert f"{len(demo.SAVED_REPLIES)} saved replies added." in out


def test_demo_twice_creates_nothing_twice():
    command("demo")
    counts = (ExercisePost.objects.count(), ExerciseAccount.objects.count())
    out, _ = command("demo")
    assert (ExercisePost.objects.count(), ExerciseAccount.objects.count()) == counts
    assert SavedReply.objects.count() == len(demo.SAVED_REPLIES)
    assert Channel.objects.count() == 1
    assert Unit.objects.filter(name__in=["Dresden", "Leipzig"]).count() == 2
    assert "Scenario: 0 comments posted, 21 were there already." in out
    assert "Unit Dresden: exists already" in out


def test_demo_keeps_units_that_exist_in_other_spelling():
    Unit.objects.create(name="dresden")
    command("demo")
    assert Unit.objects.filter(name__iexact="dresden").count() == 1


def test_demo_records_what_it_did():
    command("demo")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "unit.created",
        "channel.connected",
        "exercise.scenario_replayed",
        "inbox.saved_reply_created",
    } <= actions


def test_demo_uses_an_existing_channel():
    command("demo")
    channel = Channel.objects.get()
    channel.connector.publish(OutgoingPost(text="Neuer Beitrag"))
    command("demo")
    assert Channel.objects.get() == channel
