"""X through the X API v2, within what the account's paid tier allows.

References: https://docs.x.com/x-api (posts, timelines, search, hide
replies, mutes, blocks, media upload and metadata).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from leitstelle.networks.base import (
    Account,
    Connector,
    Counting,
    IncomingItem,
    InteractionPage,
    ItemKind,
    Media,
    MediaRules,
    Metrics,
    OutgoingPost,
    PostMetrics,
    RemotePost,
    TextRules,
    Unavailable,
)
from leitstelle.networks.payloads import count, dig, opt_list, parse_each
from leitstelle.networks.x import client, tiers
from leitstelle.networks.x.parse import QUERY, by_id, parse_created, tweet_item

URL = re.compile(r"https?://\S+")
FIND_WINDOW = timedelta(hours=24)
REFRESH_MARGIN = timedelta(minutes=2)


def comparable(text: Any) -> list[str]:
    """Return a post's words without links.

    X rewrites links to t.co and appends one per attached image.
    """
    return URL.sub(" ", html.unescape(text)).split() if isinstance(text, str) else []


class X(Connector):
    kind = "x"
    label = "X"
    # The class tells what every tier allows; an instance, what its tier does.
    capabilities = tiers.FREE
    # https://docs.x.com/resources/fundamentals/counting-characters: 280
    # weighted characters, every link counts 23; https://docs.x.com/x-api/
    # media/upload-media: images up to 5 MB, four per post, alt text 1,000.
    text_rules = TextRules(max_length=280, counting=Counting.WEIGHTED, url_length=23)
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/webp"),
        max_image_bytes=5 * 1024 * 1024,
        max_images=4,
        alt_text_length=1000,
    )

    def __init__(self, channel: Any) -> None:
        super().__init__(channel)
        self.tier = channel.config.get("tier", "free")
        self.capabilities = tiers.capabilities(self.tier)  # type: ignore[misc]

    def unavailable_reasons(self) -> list[str]:
        """Say what this channel's tier leaves out, for the channel page."""
        return tiers.unavailable_reasons(self.tier)

    def _require(self, flag: str) -> None:
        if not getattr(self.capabilities, flag):
            raise NotImplementedError(str(tiers.REASONS[flag]))

    @cached_property
    def credentials(self) -> dict[str, Any]:
        return self.channel.credentials

    @cached_property
    def api(self) -> client.XClient:
        if "consumer_key" in self.credentials:
            return client.XClient(client.OAuth1(self.credentials))
        refresh = self._refresh if self.credentials.get("refresh_token") else None
        return client.XClient(client.OAuth2(self._token, refresh))

    def _token(self) -> str:
        expires = self.credentials.get("expires_at")
        refreshable = bool(expires and self.credentials.get("refresh_token"))
        if refreshable and datetime.fromisoformat(
            expires
        ) - REFRESH_MARGIN < datetime.now(UTC):
            return self._refresh()
        return self.credentials["access_token"]

    def _refresh(self) -> str:
        """Swap the refresh token (single use) for new tokens and store them."""
        tokens = client.token_request(
            client_id=self.credentials["client_id"],
            client_secret=self.credentials.get("client_secret", ""),
            grant_type="refresh_token",
            refresh_token=self.credentials["refresh_token"],
        )
        self.credentials.update(token_fields(tokens, self.credentials["refresh_token"]))
        self.channel.set_credentials(self.credentials)
        if self.channel.pk:
            type(self.channel).objects.filter(pk=self.channel.pk).update(
                credentials_encrypted=self.channel.credentials_encrypted
            )
        return self.credentials["access_token"]

    @property
    def user_id(self) -> str:
        return self.channel.remote_id

    def verify(self) -> Account:
        params = {"user.fields": "profile_image_url,username,name"}
        user = dig(self.api.request("GET", "/2/users/me", params=params), "data")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise Unavailable("X answered without the account.")
        username = str(user.get("username") or "")
        return Account(
            remote_id=user["id"],
            handle=username,
            display_name=str(user.get("name") or username),
            avatar_url=str(user.get("profile_image_url") or ""),
            profile_url=f"https://x.com/{username}",
            extra={"tier": self.tier},
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        body: dict[str, Any] = {"text": post.text}
        if post.media:
            body["media"] = {"media_ids": [self._upload(media) for media in post.media]}
        if post.reply_to:
            body["reply"] = {"in_reply_to_tweet_id": post.reply_to}
        return self._remote(
            dig(self.api.request("POST", "/2/tweets", json=body), "data", "id")
        )

    def _upload(self, media: Media) -> str:
        files = {"media": (media.filename or "image", media.content, media.mime_type)}
        data = {"media_category": "tweet_image", "media_type": media.mime_type}
        media_id = dig(
            self.api.request("POST", "/2/media/upload", files=files, data=data),
            "data",
            "id",
        )
        if not isinstance(media_id, str):
            raise Unavailable("X answered the upload without a media id.")
        if media.alt_text:
            metadata = {"alt_text": {"text": media.alt_text}}
            self.api.request(
                "POST", "/2/media/metadata", json={"id": media_id, "metadata": metadata}
            )
        return media_id

    def _remote(self, post_id: Any, published_at: datetime | None = None) -> RemotePost:
        if not isinstance(post_id, str):
            raise Unavailable("X answered without the post's id.")
        handle = self.channel.handle or "i/web"
        return RemotePost(
            remote_id=post_id,
            url=f"https://x.com/{handle}/status/{post_id}",
            published_at=published_at,
        )

    def find_published(
        self, idempotency_key: str, *, post: OutgoingPost | None = None
    ) -> RemotePost | None:
        """Return our post of the last 24 hours with the same words (links aside)."""
        if post is None:
            raise ValueError("X finds a post by its text: pass the post.")
        params = {
            "max_results": 10,
            "tweet.fields": "created_at",
            "exclude": "retweets",
        }
        body = self.api.request("GET", f"/2/users/{self.user_id}/tweets", params=params)
        cutoff = datetime.now(UTC) - FIND_WINDOW
        for tweet in opt_list(body, "data"):
            if comparable(dig(tweet, "text")) != comparable(post.text):
                continue
            created = dig(tweet, "created_at")
            moment = parse_created(created) if isinstance(created, str) else None
            if moment and moment >= cutoff:
                return self._remote(dig(tweet, "id"), moment)
        return None

    def delete(self, remote_id: str) -> None:
        self.api.request("DELETE", f"/2/tweets/{remote_id}")

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        """Read mentions newer than `since_id`, following `pagination_token`.

        While paging, `since_id` stays and `newest_id` of the first page is
        kept; after the last page it becomes the next run's `since_id`.
        """
        self._require("inbox")
        since, token = cursor.get("since_id"), cursor.get("pagination_token")
        params = {
            **QUERY,
            "max_results": 100,
            "since_id": since,
            "pagination_token": token,
        }
        body = self.api.request(
            "GET",
            f"/2/users/{self.user_id}/mentions",
            params={k: v for k, v in params.items() if v},
        )
        items, quarantined = self._items(body)
        newest = cursor.get("newest_id") or dig(body, "meta", "newest_id")
        next_token = dig(body, "meta", "next_token")
        if isinstance(next_token, str) and next_token:
            following = {
                "since_id": since,
                "pagination_token": next_token,
                "newest_id": newest,
            }
            more = {k: v for k, v in following.items() if v}
            return InteractionPage(
                items=tuple(items),
                cursor=more,
                quarantined=tuple(quarantined),
                has_more=True,
            )
        done = {"since_id": newest or since} if newest or since else {}
        return InteractionPage(
            items=tuple(items), cursor=done, quarantined=tuple(quarantined)
        )

    def _items(
        self, body: dict[str, Any], kind: ItemKind | None = None
    ) -> tuple[list[IncomingItem], list]:
        users, media = by_id(body, "users", "id"), by_id(body, "media", "media_key")
        raws = dig(body, "data")
        items, quarantined = parse_each(
            raws if isinstance(raws, list) else [],
            lambda raw: tweet_item(
                raw, users=users, media=media, me=self.user_id, kind=kind
            ),
        )
        return [item for item in items if item.author_id != self.user_id], quarantined

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        return self.publish(
            OutgoingPost(text=post.text, media=post.media, reply_to=to_remote_id)
        )

    def hide(self, remote_id: str) -> None:
        self._require("hide")
        self.api.request("PUT", f"/2/tweets/{remote_id}/hidden", json={"hidden": True})

    def unhide(self, remote_id: str) -> None:
        self._require("hide")
        self.api.request("PUT", f"/2/tweets/{remote_id}/hidden", json={"hidden": False})

    def block(self, author_id: str) -> None:
        self._require("block")
        self.api.request(
            "POST",
            f"/2/users/{self.user_id}/blocking",
            json={"target_user_id": author_id},
        )

    def mute(self, author_id: str) -> None:
        self._require("mute")
        self.api.request(
            "POST",
            f"/2/users/{self.user_id}/muting",
            json={"target_user_id": author_id},
        )

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        me = self.api.request(
            "GET", "/2/users/me", params={"user.fields": "public_metrics"}
        )
        posts: list[PostMetrics] = []
        if remote_ids:
            params = {
                "ids": ",".join(remote_ids[:100]),
                "tweet.fields": "public_metrics",
            }
            for tweet in opt_list(
                self.api.request("GET", "/2/tweets", params=params), "data"
            ):
                metrics = dig(tweet, "public_metrics")
                reposts, quotes = (
                    count(metrics, "retweet_count"),
                    count(metrics, "quote_count"),
                )
                posts.append(
                    PostMetrics(
                        remote_id=str(dig(tweet, "id")),
                        likes=count(metrics, "like_count"),
                        shares=None if reposts is None else reposts + (quotes or 0),
                        replies=count(metrics, "reply_count"),
                        reach=count(metrics, "impression_count"),
                    )
                )
        return Metrics(
            followers=count(me, "data", "public_metrics", "followers_count"),
            posts=tuple(posts),
        )

    def search(self, query: str) -> tuple[IncomingItem, ...]:
        """Search the last seven days of public posts (recent search)."""
        self._require("search")
        params = {**QUERY, "query": query, "max_results": 100}
        items, _quarantined = self._items(
            self.api.request("GET", "/2/tweets/search/recent", params=params),
            ItemKind.MENTION,
        )
        return tuple(items)


def token_fields(tokens: dict[str, Any], refresh_token: str = "") -> dict[str, str]:
    """Return what to store of a token answer: tokens and when access ends."""
    lifetime = tokens.get("expires_in")
    seconds = lifetime if isinstance(lifetime, int) else 7200
    return {
        "access_token": tokens["access_token"],
        "refresh_token": str(tokens.get("refresh_token") or refresh_token),
        "expires_at": (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(),
    }
