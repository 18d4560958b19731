"""A test-only network whose answers depend on the token it is given.

"good" belongs to account 42, "other" to account 99; "expired", "limited",
"down" and "crash" raise the matching errors; "refresh" hands out a new
token as networks with short-lived sessions do, "expiring" learns when the
token expires.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from leitstelle.networks.base import (
    Account,
    AuthExpired,
    Capabilities,
    Connector,
    Counting,
    MediaRules,
    RateLimited,
    TextRules,
    Unavailable,
)

SECRET_IN_ERROR = "token-that-must-not-be-logged"
EXPIRES = datetime(2030, 1, 2, 8, 0, tzinfo=UTC)
ACCOUNTS = {
    "good": Account(
        remote_id="42",
        handle="@leipzig@test.example",
        display_name="Polizei Leipzig",
        avatar_url="https://test.example/avatars/leipzig.png",
        profile_url="https://test.example/@leipzig",
    ),
    "refresh": Account(
        remote_id="42", handle="@leipzig@test.example", display_name="Polizei Leipzig"
    ),
    "expiring": Account(remote_id="43", handle="@seite", display_name="Seite"),
    "other": Account(
        remote_id="99", handle="@dresden@test.example", display_name="Polizei Dresden"
    ),
}


class TestNet(Connector):
    __test__ = False  # not a test case, despite its name

    kind = "testnet"
    label = "Testnetz"
    capabilities = Capabilities(edit=True, hide=True, metrics=True)
    text_rules = TextRules(max_length=321, counting=Counting.GRAPHEMES, url_length=23)
    media_rules = MediaRules(max_images=3, video_types=("video/mp4",))
    calls: ClassVar[list[int | None]] = []

    def verify(self) -> Account:
        self.calls.append(self.channel.pk)
        token = self.channel.credentials.get("token", "")
        if token == "expired":
            raise AuthExpired("Testnetz: access was refused (invalid_token).")
        if token == "limited":
            raise RateLimited("Testnetz: rate limit reached.", retry_after=600)
        if token == "down":
            raise Unavailable("Testnetz is unavailable (HTTP 503).")
        if token == "crash":
            raise RuntimeError(
                f"GET https://test.example/verify?token={SECRET_IN_ERROR}"
            )
        if token == "refresh":
            self.channel.set_credentials({"token": "refresh", "session": "new"})
        if token == "expiring":
            self.channel.credentials_expire_at = EXPIRES
        return ACCOUNTS[token]
