"""Channel workflows: connect, re-authorise, restrict, pause, disconnect."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone, translation

from leitstelle.core.models import AuditEvent
from leitstelle.networks import services
from leitstelle.networks.base import (
    Account,
    AuthExpired,
    ContentRejected,
    RateLimited,
    Unavailable,
)
from leitstelle.networks.models import Channel, ChannelStatus
from tests.core.factories import UnitFactory
from tests.networks.factories import ChannelFactory
from tests.networks.testnet.connector import ACCOUNTS, SECRET_IN_ERROR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("testnet")]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def last_event(action: str) -> AuditEvent | None:
    return AuditEvent.objects.filter(action=action).order_by("-sequence").first()


def connect(actor, **kwargs) -> Channel:
    defaults = {
        "actor": actor,
        "kind": "testnet",
        "name": "Polizei Leipzig",
        "config": {"server": "https://test.example"},
        "credentials": {"token": "good"},
        "account": ACCOUNTS["good"],
    }
    return services.connect_channel(**{**defaults, **kwargs})


def stored_column(channel: Channel) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials_encrypted FROM networks_channel WHERE id = %s",
            [channel.pk],
        )
        return cursor.fetchone()[0]


def unsaved(token: str) -> Channel:
    channel = Channel(kind="testnet", config={})
    channel.set_credentials({"token": token})
    return channel


def test_it_returns_the_account_the_credentials_belong_to():
    assert services.verify_account(channel=unsaved("good")) == ACCOUNTS["good"]


def test_it_turns_a_network_error_into_a_plain_message():
    with pytest.raises(services.ChannelError) as caught:
        services.verify_account(channel=unsaved("expired"))
    assert caught.value.message == "Testnetz: access was refused (invalid_token)."


def test_it_names_an_unexpected_error_without_logging_its_message(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(services.ChannelError) as caught:
        services.verify_account(channel=unsaved("crash"))
    assert "(RuntimeError)" in caught.value.message
    assert SECRET_IN_ERROR not in caught.value.message
    assert SECRET_IN_ERROR not in caplog.text
    assert "RuntimeError" in caplog.text


def test_it_fills_the_channel_from_the_account(admin_user):
    channel = connect(admin_user)
    channel.refresh_from_db()
    assert channel.remote_id == "42"
    assert channel.handle == "@leipzig@test.example"
    assert channel.display_name == "Polizei Leipzig"
    assert channel.avatar_url == "https://test.example/avatars/leipzig.png"
    assert channel.profile_url == "https://test.example/@leipzig"
    assert channel.created_by == admin_user
    assert channel.status == ChannelStatus.ACTIVE


def test_it_stores_the_credentials_encrypted(admin_user):
    channel = connect(admin_user, credentials={"token": "good", "secret": "s3cr3t-xyz"})
    column = stored_column(channel)
    assert "s3cr3t-xyz" not in column
    assert column.startswith("gAAAA"), "a Fernet token"
    assert Channel.objects.get(pk=channel.pk).credentials["secret"] == "s3cr3t-xyz"


def test_it_audits_the_connection_without_the_credentials(admin_user):
    unit = UnitFactory(name="Leipzig")
    channel = connect(
        admin_user,
        credentials={"token": "s3cr3t-xyz"},
        units=[unit],
        users=[admin_user],
    )
    event = last_event("channel.connected")
    assert event.actor == admin_user
    assert event.object_id == str(channel.pk)
    assert event.details == {
        "kind": "testnet",
        "handle": "@leipzig@test.example",
        "remote_id": "42",
        "units": ["Leipzig"],
        "users": ["admin"],
    }
    assert "s3cr3t-xyz" not in str(event.details)


def test_it_restricts_a_new_channel_to_units_and_users(admin_user, editor):
    unit = UnitFactory(name="Leipzig")
    channel = connect(admin_user, units=[unit], users=[editor])
    assert list(channel.units.all()) == [unit]
    assert list(channel.users.all()) == [editor]


def test_it_names_the_channel_after_the_account_when_no_name_is_given(admin_user):
    assert connect(admin_user, name="  ").name == "Polizei Leipzig"


def test_it_fits_overlong_account_details_into_the_channel(admin_user):
    account = Account(
        remote_id="8",
        handle="@" + "h" * 300,
        display_name="N" * 300,
        avatar_url="https://test.example/" + "a" * 1000,
    )
    channel = connect(admin_user, account=account)
    channel.refresh_from_db()
    assert len(channel.handle) == len(channel.display_name) == 200
    assert channel.avatar_url == ""


def test_it_takes_the_credentials_expiry_from_the_account(admin_user):
    expires = timezone.now() + timedelta(days=60)
    account = Account(
        remote_id="7",
        handle="page",
        display_name="Seite",
        extra={"credentials_expire_at": expires.isoformat()},
    )
    channel = connect(admin_user, account=account)
    assert channel.credentials_expire_at == expires


def test_it_ignores_an_empty_expiry_from_the_account(admin_user):
    account = Account(
        remote_id="7",
        handle="page",
        display_name="Seite",
        extra={"credentials_expire_at": ""},
    )
    assert connect(admin_user, account=account).credentials_expire_at is None


def test_it_refuses_a_second_channel_for_the_same_account(admin_user):
    connect(admin_user, name="Erster Kanal")
    with pytest.raises(services.ChannelConflict) as caught:
        connect(admin_user, name="Zweiter Kanal")
    assert caught.value.message == (
        "This account (@leipzig@test.example) is already connected as “Erster Kanal”."
    )
    assert Channel.objects.count() == 1


def test_it_replaces_credentials_of_the_same_account(admin_user):
    channel = ChannelFactory(remote_id="42", token="expired")
    channel.status = ChannelStatus.NEEDS_REAUTH
    channel.failure_count = 3
    channel.save()
    services.reauthorise_channel(
        channel=channel, actor=admin_user, credentials={"token": "good"}
    )
    channel.refresh_from_db()
    assert channel.credentials == {"token": "good"}
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.failure_count == 0
    event = last_event("channel.reauthorised")
    assert event.details == {"status_before": "needs_reauth"}
    assert event.actor == admin_user


def test_it_refuses_credentials_of_another_account_on_reauthorisation(admin_user):
    channel = ChannelFactory(remote_id="42", handle="@leipzig", token="expired")
    with pytest.raises(services.ChannelConflict) as caught:
        services.reauthorise_channel(
            channel=channel, actor=admin_user, credentials={"token": "other"}
        )
    assert caught.value.message == (
        "These credentials belong to @dresden@test.example, not to @leipzig. "
        "Connect that account as a new channel instead."
    )
    channel.refresh_from_db()
    assert channel.credentials == {"token": "expired"}
    assert last_event("channel.reauthorised") is None


def test_it_keeps_the_old_credentials_when_the_new_ones_fail(admin_user):
    channel = ChannelFactory(remote_id="42", token="good")
    with pytest.raises(services.ChannelError):
        services.reauthorise_channel(
            channel=channel, actor=admin_user, credentials={"token": "expired"}
        )
    channel.refresh_from_db()
    assert channel.credentials == {"token": "good"}


def test_it_changes_who_sees_a_channel(admin_user, editor):
    leipzig, dresden = UnitFactory(name="Leipzig"), UnitFactory(name="Dresden")
    channel = ChannelFactory()
    channel.units.set([dresden])
    services.update_channel_access(
        channel=channel, actor=admin_user, units=[leipzig], users=[editor]
    )
    assert list(channel.units.all()) == [leipzig]
    assert list(channel.users.all()) == [editor]
    assert last_event("channel.access_changed").details == {
        "before": {"units": ["Dresden"], "users": []},
        "after": {"units": ["Leipzig"], "users": ["editor"]},
    }


def test_it_writes_no_audit_entry_when_access_stays_the_same(admin_user):
    channel = ChannelFactory()
    services.update_channel_access(
        channel=channel, actor=admin_user, units=[], users=[]
    )
    assert last_event("channel.access_changed") is None


def test_it_pauses_a_channel(admin_user):
    channel = ChannelFactory()
    services.pause_channel(channel=channel, actor=admin_user)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.PAUSED
    event = last_event("channel.paused")
    assert event.details == {"reason": "manual", "status_before": "active"}
    assert event.actor == admin_user


def test_it_refuses_to_pause_a_paused_channel(admin_user):
    channel = ChannelFactory(status=ChannelStatus.PAUSED)
    with pytest.raises(services.ChannelError) as caught:
        services.pause_channel(channel=channel, actor=admin_user)
    assert caught.value.message == "The channel is already paused."


def test_it_resumes_a_paused_channel_with_a_clean_slate(admin_user):
    channel = ChannelFactory(status=ChannelStatus.PAUSED, failure_count=10)
    services.resume_channel(channel=channel, actor=admin_user)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.failure_count == 0
    assert last_event("channel.resumed").actor == admin_user


def test_it_resumes_only_paused_channels(admin_user):
    channel = ChannelFactory(status=ChannelStatus.NEEDS_REAUTH)
    with pytest.raises(services.ChannelError) as caught:
        services.resume_channel(channel=channel, actor=admin_user)
    assert caught.value.message == "Only a paused channel can be resumed."


def test_it_deletes_a_disconnected_channel_and_its_credentials(admin_user):
    channel = ChannelFactory(handle="@weg")
    pk = channel.pk
    services.disconnect_channel(channel=channel, actor=admin_user)
    assert not Channel.objects.filter(pk=pk).exists()
    event = last_event("channel.disconnected")
    assert event.object_id == str(pk)
    assert event.details == {"kind": "testnet", "handle": "@weg"}


def test_it_asks_for_reauthorisation_when_access_expired():
    channel = ChannelFactory()
    services.record_channel_error(channel=channel, error=AuthExpired("revoked"))
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    event = last_event("channel.needs_reauth")
    assert event.actor is None
    assert event.details["error"] == "revoked"
    assert event.details["status_before"] == "active"


def test_it_audits_a_transition_only_once():
    channel = ChannelFactory()
    services.record_channel_error(channel=channel, error=AuthExpired("revoked"))
    services.record_channel_error(channel=channel, error=AuthExpired("revoked"))
    assert AuditEvent.objects.filter(action="channel.needs_reauth").count() == 1


def test_it_waits_as_long_as_the_network_asks():
    channel = ChannelFactory()
    before = timezone.now()
    services.record_channel_error(
        channel=channel, error=RateLimited("slow down", retry_after=600)
    )
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.RATE_LIMITED
    assert before + timedelta(seconds=600) <= channel.rate_limited_until
    assert channel.rate_limited_until <= timezone.now() + timedelta(seconds=600)


def test_it_pauses_after_ten_transient_failures_in_a_row():
    channel = ChannelFactory()
    for _ in range(9):
        services.record_channel_error(channel=channel, error=Unavailable("down"))
    assert channel.status == ChannelStatus.FAILING
    assert last_event("channel.paused") is None
    services.record_channel_error(channel=channel, error=Unavailable("down"))
    assert channel.status == ChannelStatus.PAUSED
    assert last_event("channel.paused").details["failures"] == 10


def test_it_leaves_the_channel_alone_when_content_is_rejected():
    channel = ChannelFactory()
    services.record_channel_error(
        channel=channel, error=ContentRejected("too long", reason="too long")
    )
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.failure_count == 0


def test_it_lists_the_channels_that_need_an_admin():
    paused = ChannelFactory(status=ChannelStatus.PAUSED)
    revoked = ChannelFactory(status=ChannelStatus.NEEDS_REAUTH)
    expiring = ChannelFactory(credentials_expire_at=timezone.now() + timedelta(days=3))
    ChannelFactory(credentials_expire_at=timezone.now() + timedelta(days=30))
    ChannelFactory(status=ChannelStatus.FAILING)
    assert set(services.channels_needing_attention()) == {paused, revoked, expiring}


def test_the_exercise_network_connects_through_the_same_service(admin_user):
    from leitstelle.networks.exercise.forms import ConnectForm

    form = ConnectForm({"handle": "polizei_uebung", "display_name": "Polizei Übung"})
    assert form.is_valid(), form.errors
    config, credentials = form.channel_data()
    channel = Channel(kind="exercise", config=config)
    channel.set_credentials(credentials)
    account = services.verify_account(channel=channel)
    saved = services.connect_channel(
        actor=admin_user,
        kind="exercise",
        name="",
        config=config,
        credentials=credentials,
        account=account,
    )
    assert saved.handle == account.handle
    assert saved.name == "Polizei Übung"


def test_it_keeps_a_channel_whose_comments_are_records(admin_user):
    from tests.inbox.factories import InteractionFactory

    item = InteractionFactory()
    channel = item.channel
    with pytest.raises(services.ChannelError) as caught:
        services.disconnect_channel(channel=channel, actor=admin_user)
    assert "Pause it instead" in caught.value.message
    assert Channel.objects.filter(pk=channel.pk).exists()
    assert not AuditEvent.objects.filter(action="channel.disconnected").exists()
