"""Mastodon's error answers (recorded bodies) become the typed errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    OutgoingPost,
    RateLimited,
    Unavailable,
)
from leitstelle.networks.mastodon import client
from leitstelle.networks.models import Channel
from tests.networks.mastodon.conftest import payload

STATUSES = "/api/v1/statuses"
VERIFY = "/api/v1/accounts/verify_credentials"


def body(name: str) -> dict[str, Any]:
    return payload(name)


def test_it_reports_a_refused_token_as_expired(channel: Channel, server: Any) -> None:
    with (
        server.fault(path=VERIFY, status=401, body=body("error_401.json")),
        pytest.raises(AuthExpired) as caught,
    ):
        channel.connector.verify()
    assert caught.value.message == (
        "Mastodon refused the access token: it is wrong, expired or revoked."
    )


def test_it_reports_a_disabled_login_as_expired(channel: Channel, server: Any) -> None:
    with (
        server.fault(path=VERIFY, status=403, body=body("error_403.json")),
        pytest.raises(AuthExpired) as caught,
    ):
        channel.connector.verify()
    assert "Your login is currently disabled" in caught.value.message


def test_it_passes_on_the_reason_for_a_rejected_status(
    channel: Channel, server: Any
) -> None:
    with (
        server.fault(
            path=STATUSES, methods=["POST"], status=422, body=body("error_422.json")
        ),
        pytest.raises(ContentRejected) as caught,
    ):
        channel.connector.publish(OutgoingPost(text="x" * 501))
    assert (
        caught.value.reason == "Validation failed: Text character limit of 500 exceeded"
    )
    assert caught.value.permanent is True


def test_it_waits_until_the_rate_limit_resets(channel: Channel, server: Any) -> None:
    reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    headers = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset,
    }
    with (
        server.fault(
            path=STATUSES,
            methods=["POST"],
            status=429,
            body=body("error_429.json"),
            headers=headers,
        ),
        pytest.raises(RateLimited) as caught,
    ):
        channel.connector.publish(OutgoingPost(text="Zu viel"))
    assert 280 < caught.value.retry_after < 305  # Date header: 1 s resolution


def test_it_reports_a_rate_limit_without_reset_time(
    channel: Channel, server: Any
) -> None:
    with (
        server.fault(
            path=STATUSES, methods=["POST"], status=429, body=body("error_429.json")
        ),
        pytest.raises(RateLimited) as caught,
    ):
        channel.connector.publish(OutgoingPost(text="Zu viel"))
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_it_reports_server_errors_as_unavailable(
    channel: Channel, server: Any, status: int
) -> None:
    with (
        server.fault(
            path=STATUSES, methods=["POST"], status=status, body=body("error_503.json")
        ),
        pytest.raises(Unavailable) as caught,
    ):
        channel.connector.publish(OutgoingPost(text="Hallo"))
    assert str(status) in caught.value.message


def test_it_reports_an_unreadable_answer_as_unavailable(
    channel: Channel, server: Any
) -> None:
    with server.fault(path=VERIFY, type="malformed"), pytest.raises(Unavailable):
        channel.connector.verify()


def test_it_reports_a_timeout_as_unavailable(
    channel: Channel, server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "TIMEOUT", 0.3)
    with (
        server.fault(path=VERIFY, type="latency", delay_ms=1500),
        pytest.raises(Unavailable),
    ):
        channel.connector.verify()


def test_it_reports_an_unreachable_server_as_unavailable(channel: Channel) -> None:
    channel.config = {**channel.config, "instance": "http://127.0.0.1:9"}
    with pytest.raises(Unavailable) as caught:
        channel.connector.verify()
    assert "access_token" not in caught.value.message


def test_it_rejects_a_missing_status(channel: Channel) -> None:
    with pytest.raises(ContentRejected) as caught:
        channel.connector.edit("999999", OutgoingPost(text="Neu"))
    assert caught.value.reason == "Record not found"
