"""The Telegram connector against recorded Bot API payloads."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leitstelle.networks.base import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    ItemKind,
    Media,
    OutgoingPost,
    RateLimited,
    Unavailable,
)
from leitstelle.networks.models import Channel
from leitstelle.networks.payloads import parse_each
from leitstelle.networks.telegram.forms import ConnectForm
from leitstelle.networks.telegram.parse import Context, update_item
from tests.networks.telegram.conftest import (
    CHANNEL_ID,
    GROUP_ID,
    TOKEN,
    make_channel,
    payload,
)

JPEG = b"\xff\xd8\xff\xe0 tiny"
POST = f"{CHANNEL_ID}:42"


def sent_json(route: respx.Route) -> dict:
    return json.loads(route.calls.last.request.content)


def member(status: str) -> dict:
    body = payload(
        "getChatMember_admin.json"
        if status == "administrator"
        else "getChatMember_member.json"
    )
    return body


def verify_routes(
    bot: respx.MockRouter, *, group_status: str = "administrator"
) -> respx.Route:
    bot.post("getMe").respond(json=payload("getMe.json"))
    bot.post("getChat").respond(json=payload("getChat_channel.json"))
    members = bot.post("getChatMember")
    members.side_effect = [
        httpx.Response(200, json=member("administrator")),
        httpx.Response(200, json=member(group_status)),
    ]
    return members


def test_it_verifies_the_channel_and_finds_its_discussion_group(
    bot: respx.MockRouter,
) -> None:
    channel = make_channel()
    channel.config = {"channel": "@polizei_musterstadt"}
    members = verify_routes(bot)
    account = channel.connector.verify()
    assert (account.remote_id, account.handle) == (
        str(CHANNEL_ID),
        "@polizei_musterstadt",
    )
    assert (account.display_name, account.profile_url) == (
        "Polizei Musterstadt",
        "https://t.me/polizei_musterstadt",
    )
    assert account.extra == {"bot": "@leitstelle_bot", "discussion_group_id": GROUP_ID}
    assert channel.config["chat_id"] == CHANNEL_ID
    assert channel.config["discussion_group_id"] == GROUP_ID
    checked = [sent_json_of(call) for call in members.calls]
    assert checked == [
        {"chat_id": CHANNEL_ID, "user_id": 123456789},
        {"chat_id": GROUP_ID, "user_id": 123456789},
    ]


def sent_json_of(call: respx.models.Call) -> dict:
    return json.loads(call.request.content)


def test_it_refuses_a_group_instead_of_a_channel(
    channel: Channel, bot: respx.MockRouter
) -> None:
    bot.post("getMe").respond(json=payload("getMe.json"))
    bot.post("getChat").respond(json=payload("getChat_group.json"))
    with pytest.raises(ConnectorError, match="is not a channel"):
        channel.connector.verify()


def test_it_refuses_a_bot_that_may_not_post(
    channel: Channel, bot: respx.MockRouter
) -> None:
    bot.post("getMe").respond(json=payload("getMe.json"))
    bot.post("getChat").respond(json=payload("getChat_channel.json"))
    bot.post("getChatMember").respond(json=member("member"))
    with pytest.raises(
        ConnectorError, match="must be an administrator allowed to post"
    ) as caught:
        channel.connector.verify()
    assert caught.value.permanent


def test_it_refuses_a_group_the_bot_cannot_read(
    channel: Channel, bot: respx.MockRouter
) -> None:
    verify_routes(bot, group_status="member")
    with pytest.raises(ConnectorError, match="read the discussion group"):
        channel.connector.verify()


def test_a_member_bot_without_privacy_mode_reads_the_group(
    channel: Channel, bot: respx.MockRouter
) -> None:
    verify_routes(bot, group_status="member")
    me = payload("getMe.json")
    me["result"]["can_read_all_group_messages"] = True
    bot.post("getMe").respond(json=me)
    assert channel.connector.verify().remote_id == str(CHANNEL_ID)


def test_it_publishes_text(channel: Channel, bot: respx.MockRouter) -> None:
    route = bot.post("sendMessage").respond(json=payload("sendMessage.json"))
    posted = channel.connector.publish(
        OutgoingPost(text="Unfall auf der B 96: bitte umfahren.")
    )
    assert sent_json(route) == {
        "chat_id": str(CHANNEL_ID),
        "text": "Unfall auf der B 96: bitte umfahren.",
    }
    assert (posted.remote_id, posted.url) == (
        POST,
        "https://t.me/polizei_musterstadt/42",
    )
    assert posted.published_at == datetime.fromtimestamp(1748852100, tz=UTC)


def test_it_publishes_a_photo_with_caption(
    channel: Channel, bot: respx.MockRouter
) -> None:
    route = bot.post("sendPhoto").respond(json=payload("sendPhoto.json"))
    image = Media(
        content=JPEG, mime_type="image/jpeg", alt_text="not sent: Telegram has none"
    )
    posted = channel.connector.publish(OutgoingPost(text="Gesucht", media=(image,)))
    body = route.calls.last.request.content
    assert b'name="caption"\r\n\r\nGesucht' in body and JPEG in body
    assert b'name="photo"' in body and b"not sent" not in body
    assert posted.remote_id == f"{CHANNEL_ID}:43"


def test_it_publishes_an_album(channel: Channel, bot: respx.MockRouter) -> None:
    route = bot.post("sendMediaGroup").respond(json=payload("sendMediaGroup.json"))
    images = (Media(JPEG, "image/jpeg"), Media(JPEG, "image/jpeg"))
    posted = channel.connector.publish(OutgoingPost(text="Zwei Bilder", media=images))
    body = route.calls.last.request.content.decode("latin-1")
    media = json.loads(body.split('name="media"\r\n\r\n')[1].split("\r\n--")[0])
    assert media == [
        {"type": "photo", "media": "attach://photo0", "caption": "Zwei Bilder"},
        {"type": "photo", "media": "attach://photo1"},
    ]
    assert posted.remote_id == f"{CHANNEL_ID}:44,45"


def test_it_replies_in_the_comment_thread(
    channel: Channel, bot: respx.MockRouter
) -> None:
    route = bot.post("sendMessage").respond(json=payload("sendMessage.json"))
    channel.connector.reply(f"{GROUP_ID}:1002", OutgoingPost(text="Noch gesperrt."))
    assert sent_json(route) == {
        "chat_id": str(GROUP_ID),
        "text": "Noch gesperrt.",
        "reply_parameters": {"message_id": 1002},
    }


def test_it_replies_to_a_direct_message(
    channel: Channel, bot: respx.MockRouter
) -> None:
    route = bot.post("sendMessage").respond(json=payload("sendMessage.json"))
    channel.connector.reply("5550002:17", OutgoingPost(text="Danke, wir melden uns."))
    assert sent_json(route)["chat_id"] == "5550002"


def test_it_edits_the_text_of_a_post(channel: Channel, bot: respx.MockRouter) -> None:
    route = bot.post("editMessageText").respond(json=payload("editMessageText.json"))
    channel.connector.edit(POST, OutgoingPost(text="Korrektur: B 96 wieder frei."))
    assert sent_json(route) == {
        "chat_id": str(CHANNEL_ID),
        "message_id": 42,
        "text": "Korrektur: B 96 wieder frei.",
    }


def test_it_edits_the_caption_of_a_photo_post(
    channel: Channel, bot: respx.MockRouter
) -> None:
    bot.post("editMessageText").respond(400, json=payload("error_no_text.json"))
    caption = bot.post("editMessageCaption").respond(
        json=payload("editMessageCaption.json")
    )
    channel.connector.edit(f"{CHANNEL_ID}:43", OutgoingPost(text="Gefunden, danke!"))
    assert sent_json(caption)["caption"] == "Gefunden, danke!"


def test_it_does_not_swap_photos(channel: Channel) -> None:
    post = OutgoingPost(text="x", media=(Media(JPEG, "image/jpeg"),))
    with pytest.raises(ContentRejected, match="photos of a sent post"):
        channel.connector.edit(POST, post)


def test_it_deletes_a_post(channel: Channel, bot: respx.MockRouter) -> None:
    route = bot.post("deleteMessage").respond(json=payload("true.json"))
    channel.connector.delete(POST)
    assert sent_json(route) == {"chat_id": str(CHANNEL_ID), "message_id": 42}


def test_it_deletes_every_photo_of_an_album(
    channel: Channel, bot: respx.MockRouter
) -> None:
    route = bot.post("deleteMessages").respond(json=payload("true.json"))
    channel.connector.delete(f"{CHANNEL_ID}:44,45")
    assert sent_json(route)["message_ids"] == [44, 45]


def test_it_fetches_comments_replies_and_direct_messages(
    channel: Channel, bot: respx.MockRouter
) -> None:
    route = bot.post("getUpdates").respond(json=payload("getUpdates.json"))
    page = channel.connector.fetch_interactions({"offset": 900001})
    comment, reply, direct, edited = page.items
    assert (comment.kind, comment.remote_id) == (ItemKind.COMMENT, f"{GROUP_ID}:1002")
    assert (comment.in_reply_to, comment.root_post) == (POST, POST)
    assert (comment.author_id, comment.author_handle, comment.author_name) == (
        "5550001",
        "@erika_m",
        "Erika Muster",
    )
    assert comment.url == "https://t.me/polizei_musterstadt_chat/1002"
    assert (reply.kind, reply.in_reply_to, reply.root_post) == (
        ItemKind.REPLY,
        f"{GROUP_ID}:1002",
        POST,
    )
    assert (direct.kind, direct.remote_id, direct.author_handle) == (
        ItemKind.DIRECT_MESSAGE,
        "5550002:17",
        "",
    )
    assert (edited.remote_id, edited.text) == (
        comment.remote_id,
        "Ist die Straße schon wieder frei?",
    )
    assert edited.edited_at == datetime.fromtimestamp(1748852900, tz=UTC)
    assert page.cursor == {"threads": {"1001": "42"}, "offset": 900008}
    sent = sent_json(route)
    assert (sent["offset"], sent["timeout"]) == (900001, 0)
    assert set(sent["allowed_updates"]) == {"message", "edited_message", "channel_post"}


def test_it_remembers_which_thread_belongs_to_which_post(
    channel: Channel, bot: respx.MockRouter
) -> None:
    updates = payload("getUpdates.json")
    updates["result"] = [updates["result"][2]]  # a reply to a comment, alone
    bot.post("getUpdates").respond(json=updates)
    page = channel.connector.fetch_interactions(
        {"offset": 900003, "threads": {"1001": "42"}}
    )
    [reply] = page.items
    assert reply.root_post == POST


def test_it_keeps_the_offset_when_nothing_is_new(
    channel: Channel, bot: respx.MockRouter
) -> None:
    bot.post("getUpdates").respond(json=payload("getUpdates_empty.json"))
    page = channel.connector.fetch_interactions(
        {"offset": 900008, "threads": {"1001": "42"}}
    )
    assert (page.items, page.cursor) == (
        (),
        {"threads": {"1001": "42"}, "offset": 900008},
    )


def test_it_quarantines_a_message_without_date_and_moves_on(
    channel: Channel, bot: respx.MockRouter
) -> None:
    updates = payload("getUpdates.json")
    del updates["result"][3]["message"]["date"]
    bot.post("getUpdates").respond(json=updates)
    page = channel.connector.fetch_interactions({})
    [quarantined] = page.quarantined
    assert quarantined.raw["update_id"] == 900004
    assert "date" in quarantined.reason
    assert len(page.items) == 3
    assert page.cursor["offset"] == 900008, "the broken update is not fetched again"


def test_it_bans_from_the_discussion_group(
    channel: Channel, bot: respx.MockRouter
) -> None:
    route = bot.post("banChatMember").respond(json=payload("true.json"))
    channel.connector.block("5550001")
    assert sent_json(route) == {"chat_id": str(GROUP_ID), "user_id": 5550001}


def test_it_cannot_ban_without_a_discussion_group(bot: respx.MockRouter) -> None:
    channel = make_channel(discussion_group_id=None)
    with pytest.raises(ContentRejected, match="without a discussion group"):
        channel.connector.block("5550001")


def test_it_counts_the_subscribers(channel: Channel, bot: respx.MockRouter) -> None:
    bot.post("getChatMemberCount").respond(json=payload("getChatMemberCount.json"))
    metrics = channel.connector.fetch_metrics((POST,))
    assert (metrics.followers, metrics.posts) == (15230, ())


def test_it_cannot_look_up_published_posts(channel: Channel) -> None:
    with pytest.raises(NotImplementedError, match="cannot read back"):
        channel.connector.find_published("k", post=OutgoingPost(text="x"))


def test_its_rules_count_utf16_and_know_no_alt_text(channel: Channel) -> None:
    rules = channel.connector.text_rules
    assert (rules.max_length, rules.max_caption_length, rules.counting) == (
        4096,
        1024,
        "utf16",
    )
    assert channel.connector.media_rules.alt_text_length == 0


def test_it_talks_to_a_self_hosted_bot_api_server() -> None:
    channel = make_channel(api_url="https://bots.example.org")
    with respx.mock() as mock:
        route = mock.post(f"https://bots.example.org/bot{TOKEN}/getChatMemberCount")
        route.respond(json=payload("getChatMemberCount.json"))
        channel.connector.fetch_metrics()
    assert route.called


def test_httpx_does_not_log_request_urls_with_the_token() -> None:
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def answer(name: str, status: int, **headers: str):
    return lambda: httpx.Response(status, json=payload(name), headers=headers)


ERRORS = [
    (answer("error_unauthorized.json", 401), AuthExpired, {"permanent": True}),
    (answer("error_not_found.json", 404), AuthExpired, {}),
    (answer("error_kicked.json", 403), AuthExpired, {}),
    (
        answer("error_blocked_by_user.json", 403),
        ContentRejected,
        {"reason": "Forbidden: bot was blocked by the user"},
    ),
    (answer("error_too_many_requests.json", 429), RateLimited, {"retry_after": 35.0}),
    (
        lambda: httpx.Response(429, headers={"Retry-After": "7"}),
        RateLimited,
        {"retry_after": 7.0},
    ),
    (lambda: httpx.Response(429), RateLimited, {"retry_after": None}),
    (
        answer("error_bad_request.json", 400),
        ContentRejected,
        {"reason": "Bad Request: message text is empty"},
    ),
    (answer("error_chat_not_found.json", 400), ConnectorError, {"permanent": True}),
    (answer("error_conflict.json", 409), ConnectorError, {"permanent": True}),
    (answer("error_internal.json", 500), Unavailable, {}),
    (lambda: httpx.Response(502, text="<html>Bad Gateway</html>"), Unavailable, {}),
    (lambda: httpx.Response(200, text="<html>"), Unavailable, {}),
    (lambda: httpx.ConnectTimeout("timed out"), Unavailable, {}),
    (lambda: httpx.ReadTimeout("timed out"), Unavailable, {}),
]
ERROR_IDS = [
    "401",
    "404-malformed-token",
    "403-kicked",
    "403-blocked-by-user",
    "429-retry-after-parameter",
    "429-retry-after-header",
    "429-bare",
    "400-rejected",
    "400-chat-not-found",
    "409-webhook-conflict",
    "500",
    "502-html",
    "200-not-json",
    "connect-timeout",
    "read-timeout",
]


@pytest.mark.parametrize(("make", "error", "detail"), ERRORS, ids=ERROR_IDS)
def test_it_turns_bot_api_errors_into_typed_errors(
    channel: Channel, bot: respx.MockRouter, make, error: type, detail: dict
) -> None:
    made = make()
    route = bot.post("sendMessage")
    if isinstance(made, Exception):
        route.side_effect = made
    else:
        route.return_value = made
    with pytest.raises(error) as caught:
        channel.connector.publish(OutgoingPost(text="Hallo"))
    for name, value in detail.items():
        assert getattr(caught.value, name) == value


def test_its_form_takes_a_public_channel_and_finds_the_group_itself() -> None:
    form = ConnectForm({"bot_token": TOKEN, "channel": "@polizei_musterstadt"})
    assert form.is_valid(), form.errors
    assert form.channel_data() == (
        {"channel": "@polizei_musterstadt"},
        {"bot_token": TOKEN},
    )


def test_its_form_takes_a_private_channel_a_group_and_a_server() -> None:
    data = {
        "bot_token": TOKEN,
        "channel": "-1001234567890",
        "discussion_group_id": "-1009876543210",
        "api_url": "https://bots.example.org/",
    }
    form = ConnectForm(data)
    assert form.is_valid(), form.errors
    config, _ = form.channel_data()
    assert config == {
        "channel": "-1001234567890",
        "discussion_group_id": -1009876543210,
        "api_url": "https://bots.example.org",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "bot_token",
            "not-a-token",
            "A bot token looks like 123456789:AAE…, as @BotFather gives it.",
        ),
        (
            "channel",
            "polizei",
            "Enter the channel's public name (@name) or its id (-100…).",
        ),
    ],
)
def test_its_form_explains_bad_input(field: str, value: str, message: str) -> None:
    data = {"bot_token": TOKEN, "channel": "@polizei_musterstadt", field: value}
    form = ConnectForm(data)
    assert not form.is_valid()
    assert form.errors[field] == [message]


odd = st.one_of(
    st.none(), st.integers(), st.text(), st.booleans(), st.lists(st.integers())
)
chat = st.one_of(
    odd,
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(odd, st.just(GROUP_ID)),
            "type": st.one_of(odd, st.sampled_from(["private", "supergroup"])),
        },
    ),
)
message = st.fixed_dictionaries(
    {},
    optional={
        "message_id": odd,
        "date": st.one_of(odd, st.just(1748852400), st.just(10**16)),
        "chat": chat,
        "from": st.one_of(
            odd, st.dictionaries(st.sampled_from(["id", "username", "first_name"]), odd)
        ),
        "text": odd,
        "message_thread_id": odd,
        "is_automatic_forward": odd,
        "forward_origin": st.one_of(odd, st.dictionaries(st.just("message_id"), odd)),
        "reply_to_message": st.one_of(
            odd,
            st.dictionaries(
                st.sampled_from(["message_id", "is_automatic_forward"]), odd
            ),
        ),
        "edit_date": odd,
    },
)
update = st.fixed_dictionaries(
    {},
    optional={
        "update_id": odd,
        "message": st.one_of(message, odd),
        "edited_message": message,
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(update, odd), max_size=5))
def test_odd_updates_never_crash_and_go_to_quarantine(raws: list) -> None:
    context = Context(
        channel_id=str(CHANNEL_ID), group_id=str(GROUP_ID), bot_id="123456789"
    )
    items, quarantined = parse_each(raws, lambda raw: update_item(raw, context))
    assert len(items) + len(quarantined) <= len(raws)
    assert all(q.reason for q in quarantined), quarantined
