"""System checks of the channels: where the encryption keys come from."""

from __future__ import annotations

import os
from typing import Any

from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from leitstelle.lib import crypto


@register(deploy=True)
def check_encryption_keys_source(app_configs: Any = None, **kwargs: Any) -> list:
    if os.environ.get("LEITSTELLE_ENCRYPTION_KEYS", "").strip():
        return []
    return [
        Warning(
            "The channels' access tokens are encrypted with the key file "
            f"{crypto.key_file()}, which sits beside the database",
            hint="back the key file up separately from the database (whoever has "
            "both can read the tokens), or set LEITSTELLE_ENCRYPTION_KEYS from "
            "your secret store",
            id="networks.W001",
        )
    ]


@register()
def check_encryption_keys_valid(app_configs: Any = None, **kwargs: Any) -> list:
    if not os.environ.get("LEITSTELLE_ENCRYPTION_KEYS", "").strip():
        return []
    try:
        crypto.fernet()
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="generate a key with `python -c 'from cryptography.fernet "
                "import Fernet; print(Fernet.generate_key().decode())'`",
                id="networks.E001",
            )
        ]
    return []


@register(Tags.database, deploy=True)
def check_credentials_readable(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list:
    if not databases:
        return []
    from leitstelle.networks.models import Channel

    try:
        stored = list(
            Channel.objects.exclude(credentials_encrypted="").values_list(
                "name", "credentials_encrypted"
            )
        )
        unreadable = [name for name, token in stored if not readable(token)]
    except (DatabaseError, ImproperlyConfigured):
        return []
    if not unreadable:
        return []
    return [
        Error(
            f"The access of {len(unreadable)} channel(s) cannot be decrypted: "
            + ", ".join(sorted(unreadable)),
            hint="the key that encrypted it is missing from "
            "LEITSTELLE_ENCRYPTION_KEYS; add the old key back (after the new "
            "one) and run `leitstelle rotate_keys`, or connect the channels again",
            id="networks.E002",
        )
    ]


def readable(token: str) -> bool:
    try:
        crypto.decrypt_json(token)
    except crypto.DecryptionError:
        return False
    return True
