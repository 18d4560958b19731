"""Channel health: the periodic check, its transitions and the admins' alert."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from leitstelle.core.models import AuditEvent
from leitstelle.networks import services, tasks
from leitstelle.networks.models import Channel, ChannelStatus
from tests.conftest import login_client
from tests.networks.factories import ChannelFactory
from tests.networks.testnet.connector import EXPIRES, SECRET_IN_ERROR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("testnet")]


@pytest.fixture(autouse=True)
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def test_it_marks_a_working_channel_active(testnet):
    channel = ChannelFactory(status=ChannelStatus.FAILING, failure_count=4)
    assert services.check_channel_health(channel=channel) is True
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.failure_count == 0
    assert testnet.calls == [channel.pk]


def test_it_asks_for_reauthorisation_when_the_token_is_revoked():
    channel = ChannelFactory(token="expired")
    services.check_channel_health(channel=channel)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert channel.last_error == "Testnetz: access was refused (invalid_token)."
    event = AuditEvent.objects.get(action="channel.needs_reauth")
    assert event.object_id == str(channel.pk)


def test_it_tells_admins_on_the_dashboard(client, admin_user):
    channel = ChannelFactory(name="Polizei Leipzig", token="expired")
    services.check_channel_health(channel=channel)
    response = login_client(client, admin_user).get(reverse("core:dashboard"))
    content = response.content.decode()
    assert "Channels that need an administrator" in content
    assert "Polizei Leipzig" in content
    assert "Access has expired or was revoked. Please connect again." in content


def test_it_does_not_alert_other_roles(client, editor):
    channel = ChannelFactory(name="Polizei Leipzig", token="expired")
    services.check_channel_health(channel=channel)
    response = login_client(client, editor).get(reverse("core:dashboard"))
    assert "Channels that need an administrator" not in response.content.decode()


def test_it_waits_until_a_rate_limit_is_over(testnet):
    channel = ChannelFactory(token="limited")
    services.check_channel_health(channel=channel)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.RATE_LIMITED
    assert channel.rate_limited_until > timezone.now() + timedelta(seconds=590)
    assert services.check_channel_health(channel=channel) is False
    assert testnet.calls == [channel.pk]


def test_it_checks_a_rate_limited_channel_again_after_its_time(testnet):
    channel = ChannelFactory(
        status=ChannelStatus.RATE_LIMITED,
        rate_limited_until=timezone.now() - timedelta(seconds=1),
    )
    assert services.check_channel_health(channel=channel) is True
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.rate_limited_until is None


def test_it_pauses_after_ten_failed_checks_and_stops_calling(testnet):
    channel = ChannelFactory(token="down")
    for _ in range(12):
        tasks.check_channel_health(channel.pk)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.PAUSED
    assert len(testnet.calls) == 10
    assert AuditEvent.objects.filter(action="channel.paused").count() == 1


def test_it_never_calls_a_paused_channel(testnet):
    channel = ChannelFactory(status=ChannelStatus.PAUSED)
    assert services.check_channel_health(channel=channel) is False
    assert tasks.check_channels_health.call_local() == 0
    assert testnet.calls == []


def test_it_never_calls_a_channel_waiting_for_reauthorisation(testnet):
    ChannelFactory(status=ChannelStatus.NEEDS_REAUTH)
    assert tasks.check_channels_health.call_local() == 0
    assert testnet.calls == []


def test_the_periodic_task_checks_every_due_channel(testnet):
    due = [ChannelFactory(), ChannelFactory(status=ChannelStatus.FAILING)]
    ChannelFactory(status=ChannelStatus.PAUSED)
    ChannelFactory(
        status=ChannelStatus.RATE_LIMITED,
        rate_limited_until=timezone.now() + timedelta(minutes=5),
    )
    assert tasks.check_channels_health.call_local() == 2
    assert sorted(testnet.calls) == sorted(channel.pk for channel in due)


def test_the_periodic_task_runs_every_fifteen_minutes():
    validate = tasks.check_channels_health.task_class().validate_datetime
    assert validate(datetime(2025, 1, 1, 10, 15))
    assert not validate(datetime(2025, 1, 1, 10, 20))


def test_it_skips_a_channel_deleted_before_its_check(testnet):
    assert tasks.check_channel_health(123456).get() is False
    assert testnet.calls == []


def test_it_keeps_credentials_the_network_refreshed():
    channel = ChannelFactory(token="refresh")
    services.check_channel_health(channel=channel)
    channel.refresh_from_db()
    assert channel.credentials == {"token": "refresh", "session": "new"}


def test_it_keeps_an_expiry_the_network_reported():
    channel = ChannelFactory(token="expiring")
    services.check_channel_health(channel=channel)
    channel.refresh_from_db()
    assert channel.credentials_expire_at == EXPIRES


def test_it_does_not_write_back_credentials_it_did_not_change():
    channel = ChannelFactory()
    Channel.objects.filter(pk=channel.pk).update(credentials_encrypted="renewed")
    services.check_channel_health(channel=channel)
    assert Channel.objects.get(pk=channel.pk).credentials_encrypted == "renewed"


def test_it_counts_an_unexpected_error_as_a_failure_without_logging_it(caplog):
    caplog.set_level(logging.DEBUG)
    channel = ChannelFactory(token="crash")
    services.check_channel_health(channel=channel)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.FAILING
    assert "(RuntimeError)" in channel.last_error
    assert SECRET_IN_ERROR not in channel.last_error
    assert SECRET_IN_ERROR not in caplog.text


def test_it_asks_for_reauthorisation_when_credentials_cannot_be_decrypted():
    channel = ChannelFactory()
    channel.credentials_encrypted = "gAAAAA-not-a-token-of-ours"
    channel.save()
    services.check_channel_health(channel=channel)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert "cannot be decrypted" in channel.last_error
