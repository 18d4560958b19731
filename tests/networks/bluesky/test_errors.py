"""Bluesky's error answers (recorded XRPC bodies) become the typed errors."""

from __future__ import annotations

import time

import httpx
import pytest
import respx

from leitstelle.networks.base import (
    AuthExpired,
    ContentRejected,
    Media,
    OutgoingPost,
    RateLimited,
    Unavailable,
)
from leitstelle.networks.models import Channel
from tests.networks.bluesky.conftest import DID, payload, xrpc

PROFILE = xrpc("app.bsky.actor.getProfile")
CREATE = xrpc("com.atproto.repo.createRecord")


def test_it_verifies_the_recorded_account(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(PROFILE).respond(json=payload("getProfile.json"))
    account = recorded_channel.connector.verify()
    assert (account.remote_id, account.handle, account.display_name) == (
        DID,
        "@alice.test",
        "alice.test",
    )


def test_it_reports_a_refused_login_as_expired(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(PROFILE).respond(401, json=payload("error_AuthenticationRequired.json"))
    with pytest.raises(AuthExpired) as caught:
        recorded_channel.connector.verify()
    assert caught.value.message == (
        "Bluesky refused the login "
        "(AuthenticationRequired: Invalid identifier or password)."
    )


def test_it_logs_in_again_when_the_session_expired(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(xrpc("com.atproto.server.getSession")).respond(
        400, json=payload("error_ExpiredToken.json")
    )
    login = pds.post(xrpc("com.atproto.server.createSession")).respond(
        401, json=payload("error_AuthenticationRequired.json")
    )
    with pytest.raises(AuthExpired):
        recorded_channel.connector.verify()
    assert login.called, "the stored app password was tried"


def test_it_waits_until_the_rate_limit_resets(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    reset = str(int(time.time()) + 300)
    pds.get(PROFILE).respond(
        429,
        json=payload("error_RateLimitExceeded.json"),
        headers={"ratelimit-reset": reset},
    )
    with pytest.raises(RateLimited) as caught:
        recorded_channel.connector.verify()
    assert 290 < caught.value.retry_after <= 300


def test_it_prefers_retry_after(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(PROFILE).respond(
        429,
        json=payload("error_RateLimitExceeded.json"),
        headers={"Retry-After": "120"},
    )
    with pytest.raises(RateLimited) as caught:
        recorded_channel.connector.verify()
    assert caught.value.retry_after == 120


def test_it_reports_a_rate_limit_without_times(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(PROFILE).respond(429, json=payload("error_RateLimitExceeded.json"))
    with pytest.raises(RateLimited) as caught:
        recorded_channel.connector.verify()
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_it_reports_server_errors_as_unavailable(
    recorded_channel: Channel, pds: respx.MockRouter, status: int
) -> None:
    pds.get(PROFILE).respond(status, json=payload("error_InternalServerError.json"))
    with pytest.raises(Unavailable):
        recorded_channel.connector.verify()


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.ConnectError("refused")]
)
def test_it_reports_timeouts_and_refused_connections_as_unavailable(
    recorded_channel: Channel, pds: respx.MockRouter, failure: Exception
) -> None:
    pds.get(PROFILE).mock(side_effect=failure)
    with pytest.raises(Unavailable):
        recorded_channel.connector.verify()


def test_it_passes_on_the_reason_for_a_rejected_post(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.post(CREATE).respond(400, json=payload("error_InvalidRequest.json"))
    with pytest.raises(ContentRejected) as caught:
        recorded_channel.connector.publish(OutgoingPost(text="x" * 301))
    assert caught.value.reason == (
        "InvalidRequest: Invalid app.bsky.feed.post record: "
        "grapheme too big (maximum 300, got 301) at $.record.text"
    )


def test_it_rejects_an_image_the_server_finds_too_large(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.post(xrpc("com.atproto.repo.uploadBlob")).respond(
        413, json={"error": "PayloadTooLarge", "message": "request entity too large"}
    )
    image = Media(
        content=b"\x89PNG" + b"0" * 10, mime_type="image/png", alt_text="Foto"
    )
    with pytest.raises(ContentRejected, match="PayloadTooLarge"):
        recorded_channel.connector.publish(OutgoingPost(text="Bild", media=(image,)))


def test_it_publishes_under_the_key_derived_record_key(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    pds.get(xrpc("com.atproto.repo.getRecord")).respond(
        400, json=payload("error_RecordNotFound.json")
    )
    create = pds.post(CREATE).respond(json=payload("createRecord.json"))
    posted = recorded_channel.connector.publish(
        OutgoingPost(text="Hallo", idempotency_key="post-1")
    )
    sent = create.calls.last.request
    assert posted.remote_id == payload("createRecord.json")["uri"]
    assert (
        b'"rkey":"' in sent.content
        and b'"collection":"app.bsky.feed.post"' in sent.content
    )


def test_it_does_not_post_twice_for_a_key(
    recorded_channel: Channel, pds: respx.MockRouter
) -> None:
    uri = f"at://{DID}/app.bsky.feed.post/3kabcdefghij2"
    record = {
        "uri": uri,
        "cid": "bafy",
        "value": {"text": "Hallo", "createdAt": "2024-05-02T08:00:00.000Z"},
    }
    pds.get(xrpc("com.atproto.repo.getRecord")).respond(json=record)
    create = pds.post(CREATE).respond(json=payload("createRecord.json"))
    posted = recorded_channel.connector.publish(
        OutgoingPost(text="Hallo", idempotency_key="post-1")
    )
    assert (posted.remote_id, create.called) == (uri, False)


def test_it_refuses_to_delete_other_peoples_posts(recorded_channel: Channel) -> None:
    with pytest.raises(ContentRejected, match="only our own posts"):
        recorded_channel.connector.delete(
            "at://did:plc:someoneelse/app.bsky.feed.post/3kabc"
        )
