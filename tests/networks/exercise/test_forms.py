"""Connecting an exercise account, and the timeline's time filter."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from leitstelle.networks.exercise.forms import ConnectForm
from leitstelle.networks.exercise.models import ExerciseAccount
from leitstelle.networks.exercise.templatetags.exercise_tags import ago
from leitstelle.networks.models import Channel

pytestmark = pytest.mark.django_db


def connect(data: dict[str, str]) -> Channel:
    form = ConnectForm(data)
    assert form.is_valid(), form.errors
    config, credentials = form.channel_data()
    channel = Channel(kind="exercise", config=config)
    channel.set_credentials(credentials)
    return channel


def test_it_signs_up_a_new_account_of_the_authority():
    channel = connect({"handle": "@PD_Leipzig", "display_name": "PD Leipzig (Übung)"})
    account = channel.connector.verify()
    created = ExerciseAccount.objects.get(handle="pd_leipzig")
    assert (account.handle, account.display_name) == (
        "pd_leipzig",
        "PD Leipzig (Übung)",
    )
    assert created.is_organisation


def test_it_connects_an_existing_account_with_a_fresh_token(police):
    first = connect({"handle": "polizei_test"})
    second = connect({"handle": "polizei_test"})
    assert first.credentials["access_token"] != second.credentials["access_token"]
    assert first.connector.verify().remote_id == str(police.pk)
    assert second.connector.verify().remote_id == str(police.pk)


def test_it_stores_no_token_in_the_clear(police):
    token = connect({"handle": "polizei_test"}).credentials["access_token"]
    assert not police.tokens.filter(token_hash=token).exists()


def test_it_needs_a_name_for_a_new_account():
    form = ConnectForm({"handle": "neu"})
    assert form.errors == {"display_name": ["A new account needs a display name."]}
    assert not ExerciseAccount.objects.exists()


def test_it_refuses_to_connect_a_simulated_citizen(citizen):
    form = ConnectForm({"handle": "anwohner42"})
    assert form.errors["handle"] == [
        "@anwohner42 is a simulated citizen, not an account of yours."
    ]


def test_it_refuses_a_bad_handle():
    form = ConnectForm({"handle": "nicht/gut", "display_name": "X"})
    assert "A handle has 1 to 30 letters" in form.errors["handle"][0]


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.get_current_timezone())


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=30), "just now"),
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=59), "59 minutes ago"),
        (timedelta(hours=2), "2 hours ago"),
        (timedelta(days=6), "6 days ago"),
        (timedelta(days=30), "Jan. 30, 2025"),
    ],
)
def test_it_says_how_long_ago_something_was(delta, text):
    assert ago(NOW - delta, NOW) == text
