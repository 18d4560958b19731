"""System checks of the channels: where the encryption keys come from."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from leitstelle.networks import checks
from tests.networks.factories import ChannelFactory

KEY = Fernet.generate_key().decode()


def test_it_warns_that_the_key_file_sits_beside_the_database(monkeypatch, settings):
    monkeypatch.delenv("LEITSTELLE_ENCRYPTION_KEYS", raising=False)
    [warning] = checks.check_encryption_keys_source()
    assert warning.id == "networks.W001"
    assert str(settings.DATA_DIR / "encryption_keys") in warning.msg
    assert "back the key file up separately" in warning.hint


def test_it_is_quiet_when_the_keys_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", KEY)
    assert checks.check_encryption_keys_source() == []
    assert checks.check_encryption_keys_valid() == []


def test_it_only_warns_in_production():
    from django.core.checks import registry

    assert checks.check_encryption_keys_source in registry.registry.deployment_checks
    assert (
        checks.check_encryption_keys_source not in registry.registry.registered_checks
    )


def test_it_reports_a_malformed_key(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{KEY},nonsense")
    [error] = checks.check_encryption_keys_valid()
    assert error.id == "networks.E001"
    assert "must be Fernet keys" in error.msg


@pytest.mark.django_db
@pytest.mark.usefixtures("testnet")
def test_it_names_channels_whose_access_cannot_be_decrypted(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    ChannelFactory(name="Verloren")
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", KEY)
    ChannelFactory(name="Lesbar")
    [error] = checks.check_credentials_readable(databases=["default"])
    assert error.id == "networks.E002"
    assert error.msg == "The access of 1 channel(s) cannot be decrypted: Verloren"


@pytest.mark.django_db
@pytest.mark.usefixtures("testnet")
def test_it_is_quiet_when_every_channel_can_be_decrypted(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", KEY)
    ChannelFactory()
    assert checks.check_credentials_readable(databases=["default"]) == []
