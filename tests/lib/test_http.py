"""The shared httpx setup: timeouts, headers and typed errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from leitstelle.lib import http
from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    RateLimited,
    Unavailable,
)


def response(status: int, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, headers=headers, request=httpx.Request("GET", "https://x.test/")
    )


def test_it_sets_timeouts_and_a_user_agent():
    headers = {"Authorization": "Bearer t"}
    with http.make_client("https://x.test", headers=headers) as client:
        assert client.timeout == http.TIMEOUT
        assert client.headers["User-Agent"].startswith("Leitstelle/")
        assert client.headers["Authorization"] == "Bearer t"
        assert client.base_url == httpx.URL("https://x.test")


@respx.mock
def test_it_sends_its_headers_to_the_network():
    route = respx.get("https://x.test/api/me").respond(json={"id": 1})
    with http.make_client("https://x.test", headers={"X-Test": "1"}) as client:
        assert client.get("/api/me").json() == {"id": 1}
    sent = route.calls.last.request
    assert sent.headers["X-Test"] == "1"
    assert sent.headers["User-Agent"] == http.USER_AGENT


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("120", 120.0), ("-5", 0.0), ("soon", None)],
)
def test_it_reads_retry_after_in_seconds(value, expected):
    assert http.retry_after_seconds(value) == expected


def test_it_reads_retry_after_as_a_date():
    later = datetime.now(UTC) + timedelta(seconds=300)
    seconds = http.retry_after_seconds(format_datetime(later, usegmt=True))
    assert 290 <= seconds <= 300


def test_it_reads_a_past_retry_after_date_as_now():
    earlier = datetime.now(UTC) - timedelta(hours=1)
    assert http.retry_after_seconds(format_datetime(earlier, usegmt=True)) == 0.0


def test_it_accepts_success():
    assert http.raise_for_status(response(200), "Testnetz") is None
    assert http.raise_for_status(response(302), "Testnetz") is None


@pytest.mark.parametrize("status", [401, 403])
def test_it_turns_refused_access_into_auth_expired(status):
    with pytest.raises(AuthExpired) as caught:
        http.raise_for_status(response(status), "Testnetz", "invalid_token")
    assert caught.value.message == (
        "Testnetz: access was refused (invalid_token). Re-authorise the channel."
    )
    assert caught.value.permanent


def test_it_turns_429_with_retry_after_into_rate_limited():
    with pytest.raises(RateLimited) as caught:
        http.raise_for_status(response(429, {"Retry-After": "120"}), "Testnetz")
    assert caught.value.retry_after == 120.0
    assert caught.value.message == "Testnetz: rate limit reached."
    assert not caught.value.permanent


def test_it_turns_429_without_retry_after_into_rate_limited():
    with pytest.raises(RateLimited) as caught:
        http.raise_for_status(response(429), "Testnetz")
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_it_turns_server_errors_into_unavailable(status):
    with pytest.raises(Unavailable) as caught:
        http.raise_for_status(response(status), "Testnetz")
    assert caught.value.message == f"Testnetz is unavailable (HTTP {status})."


def test_it_turns_other_client_errors_into_rejected_content_with_the_reason():
    with pytest.raises(ContentRejected) as caught:
        http.raise_for_status(response(422), "Testnetz", "Text too long")
    assert caught.value.reason == "Text too long"
    assert caught.value.message == "Testnetz rejected the request: Text too long"


def test_it_falls_back_to_the_status_phrase_as_the_reason():
    with pytest.raises(ContentRejected) as caught:
        http.raise_for_status(response(400), "Testnetz")
    assert caught.value.reason == "Bad Request"


@respx.mock
def test_it_turns_a_timeout_into_unavailable():
    respx.get("https://x.test/").mock(side_effect=httpx.ReadTimeout("slow"))
    with (
        pytest.raises(Unavailable) as caught,
        http.translate_transport_errors("Testnetz"),
    ):
        httpx.get("https://x.test/")
    assert caught.value.message == "Testnetz did not answer in time."


@respx.mock
def test_it_turns_a_connection_failure_into_unavailable():
    respx.get("https://x.test/").mock(side_effect=httpx.ConnectError("refused"))
    with (
        pytest.raises(Unavailable) as caught,
        http.translate_transport_errors("Testnetz"),
    ):
        httpx.get("https://x.test/")
    assert caught.value.message == "Testnetz cannot be reached (ConnectError)."


def test_it_lets_other_errors_through():
    with pytest.raises(KeyError), http.translate_transport_errors("Testnetz"):
        raise KeyError("bug")
