"""What every network's webhook module shares: the parsed batch, HMAC checks.

Each network that pushes events has a `networks/<kind>/webhook.py` with

- `SECRETS`: the credential keys it needs (`(key, label, help)`),
- `handshake(channel, params, secrets) -> WebhookAnswer | None` for GET
  verification requests (None: the network makes none),
- `signature_ok(channel, headers, body, secrets) -> bool` for each POST,
- `parse(channel, payload) -> WebhookBatch`.

The modules never touch the database: the inbox stores what they return.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from leitstelle.networks.base import IncomingItem, Quarantined


@dataclass(frozen=True)
class WebhookBatch:
    """What one webhook call brought: new or edited items, and removals."""

    items: tuple[IncomingItem, ...] = ()
    quarantined: tuple[Quarantined, ...] = ()
    # Remote ids the network says were deleted there.
    deleted: tuple[str, ...] = ()
    # Keys merged into the channel's cursor (e.g. Telegram's thread map).
    cursor: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookAnswer:
    """The answer to a verification request."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def hex_signature_ok(secret: str, body: bytes, header: str) -> bool:
    """Check `sha256=<hex>` (Meta's X-Hub-Signature-256) in constant time."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac_sha256(secret, body).hex()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


def base64_signature(secret: str, message: bytes) -> str:
    """Return `sha256=<base64>` (X's CRC answers and signatures)."""
    return "sha256=" + base64.b64encode(hmac_sha256(secret, message)).decode()


def same_secret(expected: str, given: str) -> bool:
    """Compare a shared secret in constant time; an empty one never matches."""
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())
