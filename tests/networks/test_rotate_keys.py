"""`leitstelle rotate_keys`: re-encrypt every channel's access with the newest key."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from leitstelle.core.models import AuditEvent
from leitstelle.lib import crypto
from leitstelle.networks.models import Channel
from tests.networks.factories import ChannelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("testnet")]

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def rotate() -> tuple[str, str, int]:
    out, err = StringIO(), StringIO()
    try:
        call_command("rotate_keys", stdout=out, stderr=err)
    except SystemExit as exc:
        return out.getvalue(), err.getvalue(), int(exc.code)
    return out.getvalue(), err.getvalue(), 0


def reload(channel: Channel) -> Channel:
    return Channel.objects.get(pk=channel.pk)


@pytest.fixture
def two_channels(monkeypatch) -> list[Channel]:
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", OLD)
    return [ChannelFactory(token="first"), ChannelFactory(token="second")]


def test_it_still_decrypts_old_credentials_with_the_old_key_second(
    monkeypatch, two_channels
):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    assert reload(two_channels[0]).credentials == {"token": "first"}


def test_it_needs_the_old_key_before_rotation(monkeypatch, two_channels):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", NEW)
    with pytest.raises(crypto.DecryptionError):
        reload(two_channels[0]).credentials  # noqa: B018


def test_it_needs_only_the_new_key_after_rotation(monkeypatch, two_channels):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    rotate()
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", NEW)
    assert [reload(c).credentials for c in two_channels] == [
        {"token": "first"},
        {"token": "second"},
    ]
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", OLD)
    with pytest.raises(crypto.DecryptionError):
        reload(two_channels[0]).credentials  # noqa: B018


def test_it_shows_progress_and_a_summary(monkeypatch, two_channels):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    out, err, code = rotate()
    assert out.splitlines() == ["  1/2", "  2/2", "2 of 2 channels re-encrypted."]
    assert (err, code) == ("", 0)


def test_it_audits_the_rotation(monkeypatch, two_channels):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    rotate()
    event = AuditEvent.objects.get(action="channels.keys_rotated")
    assert event.actor is None
    assert event.details == {
        "rotated": 2,
        "total": 2,
        "unreadable": [],
        "stopped": False,
    }


def test_it_names_channels_no_key_can_decrypt(monkeypatch, two_channels):
    lost = ChannelFactory(name="Verloren", token="lost")
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    lost.set_credentials({"token": "lost"})
    lost.save()
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    out, err, code = rotate()
    assert code == 1
    assert "2 of 3 channels re-encrypted." in out
    assert (
        "These channels cannot be decrypted with any configured key: Verloren." in err
    )
    event = AuditEvent.objects.get(action="channels.keys_rotated")
    assert event.details["unreadable"] == ["Verloren"]


def test_it_stops_between_channels_when_asked(monkeypatch, two_channels):
    from leitstelle.networks.services import rotate_channel_keys

    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    asked = iter([False, True])
    report = rotate_channel_keys(should_stop=lambda: next(asked))
    assert (report.rotated, report.total, report.stopped) == (1, 2, True)
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", NEW)
    assert reload(two_channels[0]).credentials == {"token": "first"}


def test_it_rotates_nothing_without_channels(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{NEW},{OLD}")
    out, _err, code = rotate()
    assert (out, code) == ("0 of 0 channels re-encrypted.\n", 0)
