"""Webhooks: signatures per network, quarantine, idempotent ingest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
import respx
from django.test import Client

from leitstelle.core.models import AuditEvent
from leitstelle.inbox import services, webhooks
from leitstelle.inbox.models import Interaction, QuarantinedPayload
from leitstelle.networks.models import Channel, ChannelStatus
from tests.conftest import login_client

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
APP_SECRET = "meta-app-secret-0123456789"
VERIFY_TOKEN = "verify-me-please"
CONSUMER_SECRET = "x-consumer-secret-abcdef"
TELEGRAM_SECRET = "telegram_Secret-Token_42"
TELEGRAM_TOKEN = "123456789:AAE-test-token-not-real_0123456789"


def fixture(path: str) -> bytes:
    body = json.loads((FIXTURES / path).read_text())
    body.pop("_source", None)
    return json.dumps(body).encode()


def meta_signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def x_signature(message: bytes, secret: str = CONSUMER_SECRET) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def make_channel(kind: str, credentials: dict[str, Any], **fields: Any) -> Channel:
    channel = Channel(kind=kind, name=f"Polizei {kind}", **fields)
    channel.set_credentials(credentials)
    channel.save()
    return channel


@pytest.fixture
def facebook() -> Channel:
    return make_channel(
        "facebook",
        {
            "access_token": "page-token",
            "webhook_secret": APP_SECRET,
            "webhook_verify_token": VERIFY_TOKEN,
        },
        remote_id="104512345678901",
        config={"page_id": "104512345678901"},
        cursor={"since": "2025-06-01T00:00:00+0000"},
    )


def post(channel: Channel, body: bytes, **headers: str):
    return Client().post(
        f"/webhooks/{channel.pk}/",
        body,
        content_type="application/json",
        headers=headers,
    )


def test_it_answers_metas_challenge_with_the_right_verify_token(facebook):
    response = Client().get(
        f"/webhooks/{facebook.pk}/",
        {
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"


def test_it_refuses_metas_challenge_with_a_wrong_verify_token(facebook):
    response = Client().get(
        f"/webhooks/{facebook.pk}/",
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
    )
    assert response.status_code == 403
    assert response.content == b""


def test_it_stores_facebook_comments_signed_with_the_app_secret(facebook):
    body = fixture("facebook/webhook_feed.json")
    response = post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 200
    items = {i.remote_id: i for i in Interaction.objects.select_related("author")}
    # The reaction, the page's own answer and another page's comment are left out.
    assert set(items) == {
        "122100000000000003_1500000000000002",
        "122100000000000003_1500000000000003",
    }
    comment = items["122100000000000003_1500000000000002"]
    assert comment.kind == "comment"
    assert comment.text == "Wie lange dauert die Sperrung?"
    assert comment.root_post == "104512345678901_122100000000000003"
    assert comment.author.name == "Hans Muster"
    reply = items["122100000000000003_1500000000000003"]
    assert reply.kind == "reply"
    assert reply.in_reply_to == "122100000000000003_1500000000000001"
    assert reply.media_urls == [
        "https://scontent.example.fbcdn.net/v/t39/reply-photo.jpg"
    ]


def test_it_stores_the_same_notification_once(facebook):
    body = fixture("facebook/webhook_feed.json")
    signature = meta_signature(body)
    post(facebook, body, **{"X-Hub-Signature-256": signature})
    post(facebook, body, **{"X-Hub-Signature-256": signature})
    assert Interaction.objects.count() == 2


def test_it_keeps_the_channels_poll_cursor(facebook):
    body = fixture("facebook/webhook_feed.json")
    post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    facebook.refresh_from_db()
    assert facebook.cursor == {"since": "2025-06-01T00:00:00+0000"}


def test_it_notes_when_the_last_notification_arrived(facebook):
    assert webhooks.last_received(facebook) is None
    body = fixture("facebook/webhook_feed.json")
    post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    facebook.refresh_from_db()
    assert webhooks.last_received(facebook) is not None
    assert facebook.config["page_id"] == "104512345678901"


def test_it_refuses_a_bad_signature_and_stores_nothing(facebook):
    body = fixture("facebook/webhook_feed.json")
    forged = meta_signature(body, secret="someone-elses-secret")
    response = post(facebook, body, **{"X-Hub-Signature-256": forged})
    assert response.status_code == 403
    assert not Interaction.objects.exists()
    assert not QuarantinedPayload.objects.exists()


def test_it_refuses_a_body_changed_after_signing(facebook):
    body = fixture("facebook/webhook_feed.json")
    signature = meta_signature(body)
    tampered = body.replace(b"Wie lange", b"Wie kurz")
    assert (
        post(facebook, tampered, **{"X-Hub-Signature-256": signature}).status_code
        == 403
    )
    assert not Interaction.objects.exists()


def test_it_refuses_an_unsigned_request(facebook):
    assert post(facebook, fixture("facebook/webhook_feed.json")).status_code == 403


def test_it_refuses_everything_while_no_secret_is_stored():
    channel = make_channel("facebook", {"access_token": "t"}, config={"page_id": "1"})
    body = b'{"object": "page", "entry": []}'
    response = post(channel, body, **{"X-Hub-Signature-256": meta_signature(body, "")})
    assert response.status_code == 403


def test_it_quarantines_a_body_that_is_not_json(facebook):
    body = b"<html>not json \xff</html>"
    response = post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 200
    quarantined = QuarantinedPayload.objects.get()
    assert quarantined.channel == facebook
    assert quarantined.reason.startswith("Webhook: Not JSON")
    assert "<html>not json" in quarantined.raw_body
    assert not Interaction.objects.exists()


def test_it_quarantines_a_payload_of_the_wrong_shape(facebook):
    body = b'{"object": "page", "entry": "surprise"}'
    response = post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 200
    quarantined = QuarantinedPayload.objects.get()
    assert "entry is not a list" in quarantined.reason
    assert "surprise" in quarantined.raw_body


def test_it_quarantines_one_broken_change_and_stores_the_rest(facebook):
    payload = json.loads(fixture("facebook/webhook_feed.json"))
    del payload["entry"][0]["changes"][0]["value"]["comment_id"]
    body = json.dumps(payload).encode()
    post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert list(Interaction.objects.values_list("remote_id", flat=True)) == [
        "122100000000000003_1500000000000003"
    ]
    assert "comment_id" in QuarantinedPayload.objects.get().reason


def test_it_marks_a_comment_removed_on_facebook(facebook):
    body = fixture("facebook/webhook_feed.json")
    post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    removal = fixture("facebook/webhook_feed_remove.json")
    post(facebook, removal, **{"X-Hub-Signature-256": meta_signature(removal)})
    removed = Interaction.objects.get(remote_id="122100000000000003_1500000000000002")
    assert removed.deleted_on_network_at is not None
    kept = Interaction.objects.get(remote_id="122100000000000003_1500000000000003")
    assert kept.deleted_on_network_at is None


def test_it_accepts_but_ignores_notifications_for_a_paused_channel(facebook):
    facebook.status = ChannelStatus.PAUSED
    facebook.save()
    body = fixture("facebook/webhook_feed.json")
    response = post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 200
    assert not Interaction.objects.exists()


def test_it_refuses_a_body_over_the_size_limit(facebook):
    body = b'{"pad": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    response = post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 413
    assert not QuarantinedPayload.objects.exists()


def test_it_stores_instagram_comments_and_replies():
    channel = make_channel(
        "instagram",
        {"access_token": "t", "webhook_secret": APP_SECRET},
        remote_id="17841400000000001",
        config={"ig_user_id": "17841400000000001", "page_id": "1"},
    )
    body = fixture("instagram/webhook_comments.json")
    response = post(channel, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 200
    rows = {i.remote_id: i for i in Interaction.objects.select_related("author")}
    assert rows["17865799348089039"].kind == "comment"
    assert rows["17865799348089039"].root_post == "17900000000000001"
    assert rows["17865799348089039"].author.handle == "anwohnerin_b96"
    assert rows["17865799348089040"].kind == "reply"
    assert rows["17865799348089040"].in_reply_to == "17865799348089039"


def test_it_stores_threads_replies():
    channel = make_channel(
        "threads",
        {"access_token": "t", "webhook_secret": APP_SECRET},
        remote_id="78901",
        handle="polizei_musterstadt",
    )
    body = fixture("threads/webhook_replies.json")
    response = post(channel, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 200
    item = Interaction.objects.get()
    assert (item.remote_id, item.kind, item.root_post) == (
        "8901234",
        "comment",
        "567890",
    )
    assert item.text == "Danke für die schnelle Info!"


@pytest.fixture
def x_channel() -> Channel:
    return make_channel(
        "x",
        {"consumer_key": "k", "consumer_secret": CONSUMER_SECRET},
        remote_id="1500000000000000001",
        handle="polizei_mst",
    )


def test_it_answers_the_x_crc_with_the_consumer_secret(x_channel):
    response = Client().get(f"/webhooks/{x_channel.pk}/", {"crc_token": "abc123"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"response_token": x_signature(b"abc123")}


def test_it_stores_x_mentions_and_replies_signed_by_x(x_channel):
    body = fixture("x/webhook_tweet_create.json")
    response = post(
        x_channel, body, **{"x-twitter-webhooks-signature": x_signature(body)}
    )
    assert response.status_code == 200
    rows = {i.remote_id: i for i in Interaction.objects.select_related("author")}
    assert set(rows) == {"1929000000000000011", "1929000000000000012"}
    comment = rows["1929000000000000011"]
    assert comment.kind == "comment"
    assert comment.root_post == "1929000000000000001"
    assert comment.text == "@polizei_mst Ist die B 96 wieder frei? & wann?"
    assert comment.media_urls == ["https://pbs.twimg.com/media/stau.jpg"]
    assert comment.author.avatar_url.endswith("erika_normal.jpg")
    mention = rows["1929000000000000012"]
    assert mention.kind == "mention"
    assert mention.text.startswith("Ein langer Text über den Stau")


def test_it_refuses_an_x_delivery_with_a_wrong_signature(x_channel):
    body = fixture("x/webhook_tweet_create.json")
    forged = x_signature(body, secret="wrong")
    response = post(x_channel, body, **{"x-twitter-webhooks-signature": forged})
    assert response.status_code == 403
    assert not Interaction.objects.exists()


def test_it_ignores_x_events_for_another_account(x_channel):
    payload = json.loads(fixture("x/webhook_tweet_create.json"))
    payload["for_user_id"] = "42"
    body = json.dumps(payload).encode()
    post(x_channel, body, **{"x-twitter-webhooks-signature": x_signature(body)})
    assert not Interaction.objects.exists()


@pytest.fixture
def telegram() -> Channel:
    return make_channel(
        "telegram",
        {"bot_token": TELEGRAM_TOKEN, "webhook_secret": TELEGRAM_SECRET},
        remote_id="-1001234567890",
        config={
            "channel": "@polizei_musterstadt",
            "chat_id": -1001234567890,
            "discussion_group_id": -1009876543210,
        },
    )


def test_it_stores_a_telegram_comment_with_the_secret_token(telegram):
    body = fixture("telegram/webhook_update.json")
    response = post(
        telegram, body, **{"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    )
    assert response.status_code == 200
    item = Interaction.objects.get()
    assert item.remote_id == "-1009876543210:1010"
    assert item.kind == "comment"
    assert item.root_post == "-1001234567890:42"
    telegram.refresh_from_db()
    assert telegram.cursor["threads"] == {"1001": "42"}


def test_it_refuses_a_telegram_update_without_the_secret_token(telegram):
    body = fixture("telegram/webhook_update.json")
    wrong = post(telegram, body, **{"X-Telegram-Bot-Api-Secret-Token": "guess"})
    missing = post(telegram, body)
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert not Interaction.objects.exists()


def test_it_has_no_webhook_for_networks_that_offer_none():
    channel = make_channel("mastodon", {"access_token": "t"})
    assert post(channel, b"{}").status_code == 404
    assert Client().get(f"/webhooks/{channel.pk}/").status_code == 404


def test_it_answers_404_for_an_unknown_channel():
    assert (
        Client().post("/webhooks/999999/", b"{}", content_type="a/b").status_code == 404
    )


# The settings page


def test_an_admin_stores_the_app_secret_and_gets_a_verify_token(client, admin_user):
    channel = make_channel(
        "facebook", {"access_token": "keep"}, config={"page_id": "1"}
    )
    login_client(client, admin_user)
    page = client.get(f"/posteingang/webhooks/{channel.pk}/")
    assert page.status_code == 200
    assert f"/webhooks/{channel.pk}/" in page.text
    response = client.post(
        f"/posteingang/webhooks/{channel.pk}/", {"webhook_secret": APP_SECRET}
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    stored = channel.credentials
    assert stored["access_token"] == "keep"
    assert stored["webhook_secret"] == APP_SECRET
    assert len(stored["webhook_verify_token"]) >= 24
    event = AuditEvent.objects.get(action="channel.webhook_configured")
    assert event.details == {"changed": ["webhook_secret", "webhook_verify_token"]}
    assert APP_SECRET not in json.dumps(event.details)
    page = client.get(f"/posteingang/webhooks/{channel.pk}/")
    assert stored["webhook_verify_token"] in page.text
    assert APP_SECRET not in page.text


def test_a_blank_field_keeps_the_stored_secret(client, admin_user, telegram):
    login_client(client, admin_user)
    client.post(f"/posteingang/webhooks/{telegram.pk}/", {"webhook_secret": ""})
    telegram.refresh_from_db()
    assert telegram.credentials["webhook_secret"] == TELEGRAM_SECRET


def test_only_admins_change_webhook_settings(client, community_manager, telegram):
    login_client(client, community_manager)
    response = client.post(
        f"/posteingang/webhooks/{telegram.pk}/", {"webhook_secret": "mine"}
    )
    assert response.status_code == 403
    telegram.refresh_from_db()
    assert telegram.credentials["webhook_secret"] == TELEGRAM_SECRET


def test_the_channel_page_links_to_the_webhook_settings(client, admin_user, telegram):
    client.cookies["leitstelle_language"] = "en"
    login_client(client, admin_user)
    response = client.get(f"/kanaele/{telegram.pk}/")
    assert response.status_code == 200
    assert f"/posteingang/webhooks/{telegram.pk}/" in response.text
    assert "Webhook ready" in response.text


def test_the_channel_page_says_when_a_network_has_no_webhooks(client, admin_user):
    client.cookies["leitstelle_language"] = "en"
    channel = make_channel("mastodon", {"access_token": "t"})
    login_client(client, admin_user)
    response = client.get(f"/kanaele/{channel.pk}/")
    assert "This network offers no webhooks for them." in response.text
    assert "/posteingang/webhooks/" not in response.text


def test_it_hands_another_pages_changes_to_that_pages_channel(facebook):
    other = make_channel(
        "facebook",
        {"access_token": "other"},
        remote_id="999999999999999",
        config={"page_id": "999999999999999"},
    )
    body = fixture("facebook/webhook_feed.json")
    post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    routed = Interaction.objects.get(channel=other)
    assert (routed.remote_id, routed.text) == ("1_2", "Gehört zu einer anderen Seite.")
    assert Interaction.objects.filter(channel=facebook).count() == 2


def test_it_stores_hostile_text_from_a_webhook_safely(facebook):
    payload = json.loads(fixture("facebook/webhook_feed.json"))
    value = payload["entry"][0]["changes"][0]["value"]
    value["message"] = "<script>alert(1)</script>\u0000 kaputt \ud800 \u202etxet"
    body = json.dumps(payload).encode()  # \ud800 stays escaped: valid JSON
    response = post(facebook, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert response.status_code == 200
    item = Interaction.objects.get(remote_id=value["comment_id"])
    assert "\x00" not in item.text
    assert item.text.startswith("<script>alert(1)</script> kaputt \ufffd")


def test_it_marks_posts_deleted_on_x(x_channel):
    body = fixture("x/webhook_tweet_create.json")
    post(x_channel, body, **{"x-twitter-webhooks-signature": x_signature(body)})
    deletion = json.dumps(
        {
            "for_user_id": "1500000000000000001",
            "tweet_delete_events": [
                {
                    "status": {
                        "id": "1929000000000000011",
                        "user_id": "2200000000000000001",
                    },
                    "timestamp_ms": "1748860000000",
                }
            ],
        }
    ).encode()
    post(x_channel, deletion, **{"x-twitter-webhooks-signature": x_signature(deletion)})
    gone = Interaction.objects.get(remote_id="1929000000000000011")
    assert gone.deleted_on_network_at is not None
    kept = Interaction.objects.get(remote_id="1929000000000000012")
    assert kept.deleted_on_network_at is None


def test_it_stores_threads_mentions_and_skips_our_own_replies():
    channel = make_channel(
        "threads",
        {"access_token": "t", "webhook_secret": APP_SECRET},
        remote_id="78901",
        handle="polizei_musterstadt",
    )
    mention = json.loads(fixture("threads/webhook_replies.json"))
    mention["values"]["field"] = "mentions"
    own = json.loads(fixture("threads/webhook_replies.json"))
    own["values"]["value"].update(id="8901299", username="polizei_musterstadt")
    for payload in (mention, own):
        body = json.dumps(payload).encode()
        post(channel, body, **{"X-Hub-Signature-256": meta_signature(body)})
    assert list(Interaction.objects.values_list("remote_id", "kind")) == [
        ("8901234", "mention")
    ]


# Setting the webhook at Telegram


@pytest.fixture
def telegram_api():
    with respx.mock(
        base_url=f"https://api.telegram.org/bot{TELEGRAM_TOKEN}/",
        assert_all_called=False,
    ) as router:
        yield router


def test_an_admin_sets_the_telegram_webhook_and_polling_stops(
    client, admin_user, telegram, telegram_api, settings
):
    settings.BASE_URL = "https://leitstelle.polizei.example"
    route = telegram_api.post("setWebhook").respond(
        200, json={"ok": True, "result": True, "description": "Webhook was set"}
    )
    login_client(client, admin_user)
    response = client.post(
        f"/posteingang/webhooks/{telegram.pk}/anmelden/", {"action": "set"}
    )
    assert response.status_code == 302
    sent = json.loads(route.calls.last.request.content)
    assert sent["url"] == f"https://leitstelle.polizei.example/webhooks/{telegram.pk}/"
    assert sent["secret_token"] == TELEGRAM_SECRET
    assert "message" in sent["allowed_updates"]
    telegram.refresh_from_db()
    assert webhooks.delivers_by_webhook(telegram)
    assert not services.may_poll(telegram)
    assert AuditEvent.objects.filter(action="channel.webhook_registered").exists()


def test_removing_the_telegram_webhook_lets_polling_resume(
    client, admin_user, telegram, telegram_api
):
    telegram.config = {**telegram.config, "webhook_only": True}
    telegram.save()
    route = telegram_api.post("deleteWebhook").respond(
        200, json={"ok": True, "result": True}
    )
    login_client(client, admin_user)
    client.post(f"/posteingang/webhooks/{telegram.pk}/anmelden/", {"action": "remove"})
    assert route.called
    telegram.refresh_from_db()
    assert not webhooks.delivers_by_webhook(telegram)
    assert services.may_poll(telegram)


def test_a_refused_webhook_changes_nothing_and_says_why(
    client, admin_user, telegram, telegram_api
):
    client.cookies["leitstelle_language"] = "en"
    telegram_api.post("setWebhook").respond(
        400,
        json={
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: bad webhook: HTTPS url must be provided",
        },
    )
    login_client(client, admin_user)
    response = client.post(
        f"/posteingang/webhooks/{telegram.pk}/anmelden/",
        {"action": "set"},
        follow=True,
    )
    assert "HTTPS url must be provided" in response.text
    telegram.refresh_from_db()
    assert not webhooks.delivers_by_webhook(telegram)
    assert not AuditEvent.objects.filter(action="channel.webhook_registered").exists()


def test_only_telegram_webhooks_are_set_from_here(client, admin_user, facebook):
    login_client(client, admin_user)
    response = client.post(f"/posteingang/webhooks/{facebook.pk}/anmelden/")
    assert response.status_code == 404


def test_only_admins_set_webhooks(client, community_manager, telegram, telegram_api):
    login_client(client, community_manager)
    response = client.post(f"/posteingang/webhooks/{telegram.pk}/anmelden/")
    assert response.status_code == 403
    assert not telegram_api.calls
