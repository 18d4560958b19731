"""Encrypt credentials at rest with MultiFernet.

Keys come from LEITSTELLE_ENCRYPTION_KEYS (comma-separated Fernet keys, the
first one encrypts, all of them decrypt) or, when unset, from a key generated
into the data dir on first use.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """Stored credentials cannot be decrypted with any configured key."""


def key_file() -> Path:
    return Path(settings.DATA_DIR) / "encryption_keys"


def configured_keys() -> list[str]:
    """Return the keys, newest first, creating the key file if needed."""
    value = os.environ.get("LEITSTELLE_ENCRYPTION_KEYS", "").strip()
    if value:
        return [key.strip() for key in value.split(",") if key.strip()]
    path = key_file()
    if not path.exists():
        path.write_text(Fernet.generate_key().decode() + "\n")
        path.chmod(0o600)
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in configured_keys()])
    except ValueError:
        raise ImproperlyConfigured(
            "LEITSTELLE_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes)"
            ", separated by commas."
        ) from None


def encrypt_json(data: dict[str, Any]) -> str:
    return fernet().encrypt(json.dumps(data).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(fernet().decrypt(token.encode()))
    except InvalidToken:
        raise DecryptionError(
            "Stored credentials cannot be decrypted: the encryption key is missing."
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt `token` with the newest key."""
    return fernet().rotate(token.encode()).decode()
