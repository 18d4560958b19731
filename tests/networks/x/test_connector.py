"""The X connector against recorded X API v2 payloads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

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
from leitstelle.networks.x.client import TOKEN_URL
from leitstelle.networks.x.forms import ConnectForm
from leitstelle.networks.x.parse import tweet_item
from tests.networks.x.conftest import ME, make_channel, oauth2_credentials, payload

PNG = b"\x89PNG\r\n\x1a\n tiny"
POST_ID = "1346889436626259968"


def sent_json(route: respx.Route) -> dict:
    return json.loads(route.calls.last.request.content)


def test_it_verifies_with_oauth1_signed_requests(
    channel: Channel, api: respx.MockRouter
) -> None:
    route = api.get("/2/users/me").respond(json=payload("users_me.json"))
    account = channel.connector.verify()
    assert (account.remote_id, account.handle) == (ME, "polizei_musterstadt")
    assert account.profile_url == "https://x.com/polizei_musterstadt"
    assert account.avatar_url.endswith("avatar_normal.jpg")
    assert account.extra == {"tier": "basic"}
    header = route.calls.last.request.headers["Authorization"]
    assert (
        header.startswith("OAuth ") and 'oauth_signature_method="HMAC-SHA1"' in header
    )
    assert (
        'oauth_consumer_key="CONSUMER-KEY"' in header
        and 'oauth_token="ACCESS-TOKEN"' in header
    )
    assert "SECRET" not in header, "secrets sign, they are never sent"


def test_it_verifies_with_an_oauth2_token(api: respx.MockRouter) -> None:
    channel = make_channel(**oauth2_credentials())
    route = api.get("/2/users/me").respond(json=payload("users_me.json"))
    channel.connector.verify()
    assert route.calls.last.request.headers["Authorization"] == "Bearer OLD-ACCESS"


def test_it_publishes_text(channel: Channel, api: respx.MockRouter) -> None:
    route = api.post("/2/tweets").respond(201, json=payload("tweet_created.json"))
    posted = channel.connector.publish(
        OutgoingPost(text="Achtung: Unfall auf der B 96.")
    )
    assert sent_json(route) == {"text": "Achtung: Unfall auf der B 96."}
    assert posted.remote_id == POST_ID
    assert posted.url == f"https://x.com/polizei_musterstadt/status/{POST_ID}"


def test_it_publishes_an_image_with_alt_text(
    channel: Channel, api: respx.MockRouter
) -> None:
    upload = api.post("/2/media/upload").respond(json=payload("media_upload.json"))
    metadata = api.post("/2/media/metadata").respond(
        json=payload("media_metadata.json")
    )
    tweet = api.post("/2/tweets").respond(201, json=payload("tweet_created.json"))
    image = Media(
        content=PNG, mime_type="image/png", alt_text="Unfallstelle auf der B 96"
    )
    channel.connector.publish(OutgoingPost(text="Unfall", media=(image,)))
    body = upload.calls.last.request.content
    assert b'name="media_category"\r\n\r\ntweet_image' in body and PNG in body
    assert sent_json(metadata) == {
        "id": "1880028106020515840",
        "metadata": {"alt_text": {"text": "Unfallstelle auf der B 96"}},
    }
    assert sent_json(tweet)["media"] == {"media_ids": ["1880028106020515840"]}


def test_it_skips_the_metadata_call_without_alt_text(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.post("/2/media/upload").respond(json=payload("media_upload.json"))
    metadata = api.post("/2/media/metadata")
    api.post("/2/tweets").respond(201, json=payload("tweet_created.json"))
    channel.connector.publish(
        OutgoingPost(text="Bild", media=(Media(PNG, "image/png"),))
    )
    assert not metadata.called


def test_it_replies_to_a_post(channel: Channel, api: respx.MockRouter) -> None:
    route = api.post("/2/tweets").respond(201, json=payload("tweet_created.json"))
    channel.connector.reply(
        "1800000000000000004", OutgoingPost(text="Ja, seit 10 Uhr.")
    )
    assert sent_json(route) == {
        "text": "Ja, seit 10 Uhr.",
        "reply": {"in_reply_to_tweet_id": "1800000000000000004"},
    }


def test_it_finds_a_recent_post_by_its_words(
    channel: Channel, api: respx.MockRouter
) -> None:
    tweets = payload("user_tweets.json")
    tweets["data"][0]["created_at"] = datetime.now(UTC).isoformat()
    route = api.get(f"/2/users/{ME}/tweets").respond(json=tweets)
    post = OutgoingPost(
        text="Achtung: Unfall auf der B 96. Infos: https://example.org/b96"
    )
    found = channel.connector.find_published("k", post=post)
    assert found is not None and found.remote_id == POST_ID
    assert route.calls.last.request.url.params["exclude"] == "retweets"


def test_it_compares_text_with_entities_decoded(
    channel: Channel, api: respx.MockRouter
) -> None:
    tweets = payload("user_tweets.json")
    tweets["data"][1]["created_at"] = datetime.now(UTC).isoformat()
    api.get(f"/2/users/{ME}/tweets").respond(json=tweets)
    post = OutgoingPost(text="Tag der offenen Tür & Fahrzeugschau am Samstag")
    found = channel.connector.find_published("k", post=post)
    assert found is not None and found.remote_id == "1346889436626259000"


def test_it_finds_no_post_older_than_a_day(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.get(f"/2/users/{ME}/tweets").respond(json=payload("user_tweets.json"))
    post = OutgoingPost(text="Achtung: Unfall auf der B 96. Infos:")
    assert channel.connector.find_published("k", post=post) is None


def test_it_deletes_a_post(channel: Channel, api: respx.MockRouter) -> None:
    route = api.delete(f"/2/tweets/{POST_ID}").respond(
        json=payload("tweet_deleted.json")
    )
    channel.connector.delete(POST_ID)
    assert route.called


def test_it_fetches_mentions_and_pages_on(
    channel: Channel, api: respx.MockRouter
) -> None:
    route = api.get(f"/2/users/{ME}/mentions").respond(
        json=payload("mentions_page1.json")
    )
    page = channel.connector.fetch_interactions({"since_id": "1700000000000000000"})
    comment, reply, quote = page.items
    assert (comment.kind, comment.in_reply_to, comment.root_post) == (
        ItemKind.COMMENT,
        POST_ID,
        POST_ID,
    )
    assert (
        comment.text
        == "@polizei_musterstadt Ist die B 96 wieder frei? & wie lange noch?"
    )
    assert (comment.author_handle, comment.author_name) == ("erika_m", "Erika Muster")
    assert comment.media_urls == ("https://pbs.twimg.com/media/GaBcDeF.jpg",)
    assert comment.url == "https://x.com/erika_m/status/1800000000000000004"
    assert comment.created_at == datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
    assert (reply.kind, reply.in_reply_to) == (ItemKind.REPLY, "1800000000000000002")
    assert (quote.kind, quote.in_reply_to) == (ItemKind.QUOTE, POST_ID)
    assert page.has_more
    assert page.cursor == {
        "since_id": "1700000000000000000",
        "pagination_token": "7140dibdnow9c7btw4539n4vybdnx0fa31zzd0pfzh8qt",
        "newest_id": "1800000000000000004",
    }
    params = route.calls.last.request.url.params
    assert (
        params["since_id"] == "1700000000000000000" and "pagination_token" not in params
    )
    assert "author_id" in params["expansions"]


def test_it_moves_since_id_after_the_last_page(
    channel: Channel, api: respx.MockRouter
) -> None:
    route = api.get(f"/2/users/{ME}/mentions").respond(
        json=payload("mentions_page2.json")
    )
    cursor = {
        "since_id": "1700000000000000000",
        "pagination_token": "7140dibdnow9c7btw4539n4vybdnx0fa31zzd0pfzh8qt",
        "newest_id": "1800000000000000004",
    }
    page = channel.connector.fetch_interactions(cursor)
    assert [item.kind for item in page.items] == [ItemKind.MENTION]
    assert (page.cursor, page.has_more) == ({"since_id": "1800000000000000004"}, False)
    params = route.calls.last.request.url.params
    assert params["pagination_token"] == cursor["pagination_token"]
    assert params["since_id"] == cursor["since_id"]


def test_it_keeps_since_id_when_nothing_is_new(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.get(f"/2/users/{ME}/mentions").respond(json=payload("mentions_empty.json"))
    page = channel.connector.fetch_interactions({"since_id": "1800000000000000004"})
    assert (page.items, page.cursor) == ((), {"since_id": "1800000000000000004"})


def test_it_leaves_out_its_own_posts(channel: Channel, api: respx.MockRouter) -> None:
    mentions = payload("mentions_page2.json")
    mentions["data"][0]["author_id"] = ME
    api.get(f"/2/users/{ME}/mentions").respond(json=mentions)
    assert channel.connector.fetch_interactions({}).items == ()


def test_it_quarantines_a_mention_without_author(
    channel: Channel, api: respx.MockRouter
) -> None:
    mentions = payload("mentions_page2.json")
    del mentions["data"][0]["author_id"]
    api.get(f"/2/users/{ME}/mentions").respond(json=mentions)
    page = channel.connector.fetch_interactions({})
    assert page.items == ()
    assert page.quarantined[0].raw["id"] == "1800000000000000001"
    assert "author_id" in page.quarantined[0].reason


@pytest.mark.parametrize(("method", "hidden"), [("hide", True), ("unhide", False)])
def test_it_hides_and_unhides_replies(
    channel: Channel, api: respx.MockRouter, method: str, hidden: bool
) -> None:
    route = api.put("/2/tweets/1800000000000000004/hidden").respond(
        json=payload("hidden.json")
    )
    getattr(channel.connector, method)("1800000000000000004")
    assert sent_json(route) == {"hidden": hidden}


def test_it_mutes_an_account(channel: Channel, api: respx.MockRouter) -> None:
    route = api.post(f"/2/users/{ME}/muting").respond(json=payload("muting.json"))
    channel.connector.mute("222")
    assert sent_json(route) == {"target_user_id": "222"}


def test_it_blocks_in_the_enterprise_tier(api: respx.MockRouter) -> None:
    route = api.post(f"/2/users/{ME}/blocking").respond(json=payload("blocking.json"))
    make_channel("enterprise").connector.block("222")
    assert sent_json(route) == {"target_user_id": "222"}


def test_it_does_not_block_below_enterprise(channel: Channel) -> None:
    with pytest.raises(NotImplementedError, match="Enterprise"):
        channel.connector.block("222")


def test_it_fetches_followers_and_post_metrics(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.get("/2/users/me").respond(json=payload("users_me_metrics.json"))
    route = api.get("/2/tweets").respond(json=payload("tweets_metrics.json"))
    metrics = channel.connector.fetch_metrics((POST_ID,))
    assert metrics.followers == 51234
    [post] = metrics.posts
    assert (post.likes, post.shares, post.replies, post.reach) == (230, 45, 12, 18500)
    assert route.calls.last.request.url.params["ids"] == POST_ID


def test_it_searches_recent_posts(channel: Channel, api: respx.MockRouter) -> None:
    route = api.get("/2/tweets/search/recent").respond(
        json=payload("search_recent.json")
    )
    [hit] = channel.connector.search('"B 96" Stau')
    assert (hit.kind, hit.author_handle) == (ItemKind.MENTION, "pendler_b96")
    assert route.calls.last.request.url.params["query"] == '"B 96" Stau'


def test_the_free_tier_reads_no_mentions() -> None:
    connector = make_channel("free").connector
    assert not connector.capabilities.inbox and not connector.capabilities.search
    with pytest.raises(NotImplementedError, match="Free tier"):
        connector.fetch_interactions({})


def test_the_free_tier_says_what_is_unavailable() -> None:
    reasons = make_channel("free").connector.unavailable_reasons()
    assert any("Mentions and replies are not fetched" in reason for reason in reasons)
    assert any("Searching X needs the Basic tier" in reason for reason in reasons)
    assert any("Editing published posts" in reason for reason in reasons)


def test_the_basic_tier_lacks_only_blocking_and_the_always_missing() -> None:
    connector = make_channel("basic").connector
    assert connector.capabilities.inbox and connector.capabilities.hide
    assert [r for r in connector.unavailable_reasons() if "tier" in r] == [
        "Blocking accounts through the API is offered in the Enterprise tier only."
    ]


def test_the_class_shows_what_every_tier_allows() -> None:
    from leitstelle.networks.x.connector import X

    assert X.capabilities.publish and not X.capabilities.inbox
    assert X.text_rules.max_length == 280 and X.text_rules.url_length == 23


@pytest.mark.django_db
def test_it_refreshes_an_expiring_oauth2_token_and_stores_it(
    api: respx.MockRouter,
) -> None:
    channel = make_channel(**oauth2_credentials(expires_in=timedelta(seconds=30)))
    channel.save()
    token = api.post(TOKEN_URL).respond(json=payload("token_refreshed.json"))
    me = api.get("/2/users/me").respond(json=payload("users_me.json"))
    channel.connector.verify()
    assert (
        me.calls.last.request.headers["Authorization"]
        == "Bearer REDACTED-ACCESS-TOKEN-2"
    )
    request = token.calls.last.request
    assert request.headers["Authorization"].startswith("Basic ")
    assert b"grant_type=refresh_token" in request.content
    assert b"refresh_token=OLD-REFRESH" in request.content
    stored = Channel.objects.get(pk=channel.pk).credentials
    assert (stored["access_token"], stored["refresh_token"]) == (
        "REDACTED-ACCESS-TOKEN-2",
        "REDACTED-REFRESH-TOKEN-2",
    )
    assert datetime.fromisoformat(stored["expires_at"]) > datetime.now(UTC) + timedelta(
        hours=1
    )


def test_it_refreshes_once_when_x_says_the_token_is_invalid(
    api: respx.MockRouter,
) -> None:
    channel = make_channel(**oauth2_credentials())
    api.post(TOKEN_URL).respond(json=payload("token_refreshed.json"))
    api.get("/2/users/me").side_effect = [
        httpx.Response(401, json=payload("error_unauthorized.json")),
        httpx.Response(200, json=payload("users_me.json")),
    ]
    assert channel.connector.verify().remote_id == ME
    assert channel.credentials["access_token"] == "REDACTED-ACCESS-TOKEN-2"


def test_a_refused_refresh_needs_reauthorisation(api: respx.MockRouter) -> None:
    channel = make_channel(**oauth2_credentials(expires_in=timedelta(seconds=-5)))
    api.post(TOKEN_URL).respond(400, json=payload("token_error.json"))
    with pytest.raises(AuthExpired, match="authorization code was invalid"):
        channel.connector.verify()


ERRORS = [
    (
        lambda: httpx.Response(401, json=payload("error_unauthorized.json")),
        AuthExpired,
        {},
    ),
    (
        lambda: httpx.Response(403, json=payload("error_duplicate.json")),
        ContentRejected,
        {"reason": "You are not allowed to create a Tweet with duplicate content."},
    ),
    (
        lambda: httpx.Response(403, json=payload("error_client_not_enrolled.json")),
        ConnectorError,
        {"permanent": True},
    ),
    (lambda: httpx.Response(403, text="Forbidden"), AuthExpired, {}),
    (
        lambda: httpx.Response(
            429,
            json=payload("error_too_many_requests.json"),
            headers={"x-rate-limit-reset": str(int(time.time()) + 600)},
        ),
        RateLimited,
        {},
    ),
    (
        lambda: httpx.Response(429, headers={"Retry-After": "60"}),
        RateLimited,
        {"retry_after": 60.0},
    ),
    (lambda: httpx.Response(429), RateLimited, {"retry_after": None}),
    (
        lambda: httpx.Response(429, json=payload("error_usage_capped.json")),
        ConnectorError,
        {"permanent": True},
    ),
    (
        lambda: httpx.Response(400, json=payload("error_invalid_request.json")),
        ContentRejected,
        {"reason": "Your Tweet text is too long."},
    ),
    (lambda: httpx.Response(500), Unavailable, {}),
    (lambda: httpx.Response(503, text="Over capacity"), Unavailable, {}),
    (lambda: httpx.Response(200, text="<html>"), Unavailable, {}),
    (lambda: httpx.ConnectTimeout("timed out"), Unavailable, {}),
    (lambda: httpx.ReadTimeout("timed out"), Unavailable, {}),
]
ERROR_IDS = [
    "401",
    "403-duplicate",
    "403-client-not-enrolled",
    "403-plain",
    "429-rate-limit-reset",
    "429-retry-after",
    "429-bare",
    "429-usage-capped",
    "400-invalid-request",
    "500",
    "503",
    "200-not-json",
    "connect-timeout",
    "read-timeout",
]


@pytest.mark.parametrize(("answer", "error", "detail"), ERRORS, ids=ERROR_IDS)
def test_it_turns_x_errors_into_typed_errors(
    channel: Channel, api: respx.MockRouter, answer, error: type, detail: dict
) -> None:
    made = answer()
    route = api.post("/2/tweets")
    if isinstance(made, Exception):
        route.side_effect = made
    else:
        route.return_value = made
    with pytest.raises(error) as caught:
        channel.connector.publish(OutgoingPost(text="Hallo"))
    for name, value in detail.items():
        assert getattr(caught.value, name) == value


def test_it_waits_until_the_rate_limit_resets(
    channel: Channel, api: respx.MockRouter
) -> None:
    reset = str(int(time.time()) + 600)
    api.post("/2/tweets").respond(429, headers={"x-rate-limit-reset": reset})
    with pytest.raises(RateLimited) as caught:
        channel.connector.publish(OutgoingPost(text="Hallo"))
    assert 590 <= caught.value.retry_after <= 600


def test_a_tier_refusal_says_to_check_the_tier(
    channel: Channel, api: respx.MockRouter
) -> None:
    api.get(f"/2/users/{ME}/mentions").respond(
        403, json=payload("error_client_not_enrolled.json")
    )
    with pytest.raises(ConnectorError, match="Check the tier chosen"):
        channel.connector.fetch_interactions({})


def test_its_form_keeps_oauth1_keys_and_the_tier() -> None:
    data = {
        "consumer_key": "ck",
        "consumer_secret": "cs",
        "access_token": "at",
        "access_token_secret": "as",
        "tier": "pro",
    }
    form = ConnectForm(data)
    assert form.is_valid(), form.errors
    config, credentials = form.channel_data()
    assert config == {"tier": "pro", "auth": "oauth1"}
    assert credentials == {key: data[key] for key in credentials}


def test_its_form_refuses_an_unknown_tier() -> None:
    form = ConnectForm(
        {
            "consumer_key": "a",
            "consumer_secret": "b",
            "access_token": "c",
            "access_token_secret": "d",
            "tier": "gold",
        }
    )
    assert not form.is_valid()
    assert "tier" in form.errors


odd = st.one_of(
    st.none(), st.integers(), st.text(), st.booleans(), st.lists(st.integers())
)
tweet = st.fixed_dictionaries(
    {},
    optional={
        "id": odd,
        "text": odd,
        "author_id": st.one_of(odd, st.just("111")),
        "created_at": st.one_of(
            odd, st.just("2025-06-02T09:30:00.000Z"), st.just("2025-06-02T09:30:00")
        ),
        "conversation_id": odd,
        "in_reply_to_user_id": st.one_of(odd, st.just(ME)),
        "referenced_tweets": st.one_of(
            odd,
            st.lists(st.dictionaries(st.sampled_from(["type", "id"]), odd), max_size=2),
        ),
        "attachments": st.one_of(odd, st.dictionaries(st.just("media_keys"), odd)),
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(tweet, odd), max_size=5))
def test_odd_posts_never_crash_and_go_to_quarantine(raws: list) -> None:
    users = {"111": {"id": "111", "username": "erika_m"}}
    items, quarantined = parse_each(
        raws, lambda raw: tweet_item(raw, users=users, media={}, me=ME)
    )
    assert len(items) + len(quarantined) == len(raws)
    assert all(q.reason for q in quarantined), quarantined
