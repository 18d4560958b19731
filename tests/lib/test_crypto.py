"""Credentials at rest: MultiFernet with keys from the environment or a file."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from leitstelle.lib import crypto

FIRST = Fernet.generate_key().decode()
SECOND = Fernet.generate_key().decode()


@pytest.fixture
def data_dir(settings, tmp_path, monkeypatch):
    """An empty data dir and no keys in the environment."""
    monkeypatch.delenv("LEITSTELLE_ENCRYPTION_KEYS", raising=False)
    settings.DATA_DIR = tmp_path
    return tmp_path


def test_it_round_trips_json(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", FIRST)
    token = crypto.encrypt_json({"access_token": "abc-123", "n": 1})
    assert "abc-123" not in token
    assert crypto.decrypt_json(token) == {"access_token": "abc-123", "n": 1}


def test_it_reads_nothing_from_an_empty_column():
    assert crypto.decrypt_json("") == {}


def test_it_encrypts_with_the_first_key_and_decrypts_with_all(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f" {FIRST} , {SECOND} ")
    token = crypto.encrypt_json({"a": 1})
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", FIRST)
    assert crypto.decrypt_json(token) == {"a": 1}
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", SECOND)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_json(token)


def test_it_says_plainly_when_the_key_is_missing(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", FIRST)
    token = crypto.encrypt_json({"a": 1})
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", SECOND)
    with pytest.raises(crypto.DecryptionError) as caught:
        crypto.decrypt_json(token)
    assert str(caught.value) == (
        "Stored credentials cannot be decrypted: the encryption key is missing."
    )


def test_it_rotates_a_token_to_the_newest_key(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", SECOND)
    old = crypto.encrypt_json({"a": 1})
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", f"{FIRST},{SECOND}")
    new = crypto.rotate(old)
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", FIRST)
    assert crypto.decrypt_json(new) == {"a": 1}


def test_it_generates_a_private_key_file_on_first_use(data_dir):
    token = crypto.encrypt_json({"a": 1})
    path = data_dir / "encryption_keys"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.decrypt_json(token) == {"a": 1}


def test_it_keeps_using_the_generated_key_file(data_dir):
    token = crypto.encrypt_json({"a": 1})
    first = (data_dir / "encryption_keys").read_text()
    assert crypto.decrypt_json(token) == {"a": 1}
    assert (data_dir / "encryption_keys").read_text() == first


def test_it_prefers_the_environment_to_the_key_file(data_dir, monkeypatch):
    crypto.encrypt_json({"a": 1})
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", FIRST)
    assert crypto.configured_keys() == [FIRST]


def test_it_refuses_a_malformed_key(monkeypatch):
    monkeypatch.setenv("LEITSTELLE_ENCRYPTION_KEYS", "not-a-key")
    with pytest.raises(ImproperlyConfigured) as caught:
        crypto.encrypt_json({"a": 1})
    assert "must be Fernet keys" in str(caught.value)
