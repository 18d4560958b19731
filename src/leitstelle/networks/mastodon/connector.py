"""Mastodon: one account on one instance, through Mastodon.py.

Limits are the instance's own (read from its API when the channel is
connected and kept in `channel.config["limits"]`); the class attributes are
a stock instance's defaults.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mastodon.errors import MastodonNotFoundError

from leitstelle.networks.base import (
    Account,
    Capabilities,
    Connector,
    ContentRejected,
    Counting,
    IncomingItem,
    InteractionPage,
    MediaRules,
    Metrics,
    OutgoingPost,
    PostMetrics,
    RemotePost,
    TextRules,
    Unavailable,
)
from leitstelle.networks.mastodon import client, parse

PAGE_SIZE = 40  # the most /api/v1/notifications returns at once


class Mastodon(Connector):
    kind = "mastodon"
    label = "Mastodon"
    capabilities = Capabilities(
        edit=True,
        threads=True,
        block=True,
        mute=True,
        direct_messages=True,
        search=True,
        metrics=True,
    )
    # Defaults of a stock instance; https://docs.joinmastodon.org/entities/Instance/
    # and https://docs.joinmastodon.org/methods/media/ (alt text: 1500).
    # Mastodon counts grapheme clusters (StatusLengthValidator), URLs as 23.
    text_rules = TextRules(max_length=500, counting=Counting.GRAPHEMES, url_length=23)
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/gif", "image/webp"),
        max_image_bytes=10 * 1024 * 1024,
        max_images=4,
        video_types=("video/mp4", "video/webm", "video/quicktime"),
        max_video_bytes=40 * 1024 * 1024,
        alt_text_length=1500,
    )

    def __init__(self, channel: Any) -> None:
        super().__init__(channel)
        limits = self.channel.config.get("limits") or {}
        self.text_rules = rules_for_text(limits)  # type: ignore[misc]
        self.media_rules = rules_for_media(limits)  # type: ignore[misc]
        self._api: Any = None

    @property
    def api(self) -> Any:
        if self._api is None:
            self._api = client.api(
                self.channel.config["instance"], **self.channel.credentials
            )
        return self._api

    def verify(self) -> Account:
        with client.translate_errors(self.api):
            me = self.api.account_verify_credentials()
        acct = str(me["acct"])
        domain = (
            self.channel.config.get("domain")
            or urlsplit(self.channel.config["instance"]).hostname
        )
        # Account ids are unique per instance only ("1" is the first account
        # everywhere): the domain makes the channel's remote id unique.
        return Account(
            remote_id=f"{me['id']}@{domain}",
            handle=f"@{acct}" if "@" in acct else f"@{acct}@{domain}",
            display_name=me.get("display_name") or acct,
            avatar_url=me.get("avatar") or "",
            profile_url=me.get("url") or "",
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        return self._post(post, in_reply_to_id=post.reply_to)

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        """Answer in the parent's visibility, mentioning its author.

        A reply to a direct message must stay direct, and Mastodon delivers
        it only to accounts mentioned in the text.
        """
        with client.translate_errors(self.api):
            parent = self.api.status(to_remote_id)
        acct = parent["account"]["acct"]
        text = post.text if f"@{acct}" in post.text else f"@{acct} {post.text}"
        visibility = (
            parent["visibility"]
            if parent["visibility"] in ("direct", "private")
            else None
        )
        return self._post(
            post, text=text, in_reply_to_id=to_remote_id, visibility=visibility
        )

    def find_published(self, idempotency_key: str) -> RemotePost | None:
        """Return None: a Mastodon status keeps no trace of the key.

        Mastodon deduplicates by the Idempotency-Key header itself for an
        hour (https://docs.joinmastodon.org/methods/statuses/#create): a
        publish retried with the same key within that hour returns the
        original status instead of posting twice.
        """
        return None

    def edit(self, remote_id: str, post: OutgoingPost) -> RemotePost:
        with client.translate_errors(self.api):
            media_ids = [self._upload(media) for media in post.media] or None
            status = self.api.status_update(remote_id, post.text, media_ids=media_ids)
        return parse.remote_post(status)

    def delete(self, remote_id: str) -> None:
        """Delete the status; one that is already gone counts as deleted."""
        try:
            with client.translate_errors(self.api):
                self.api.status_delete(remote_id)
        except ContentRejected as exc:
            if not isinstance(exc.__cause__, MastodonNotFoundError):
                raise

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        """Return mentions, replies, quotes and direct messages after `cursor`.

        The cursor keeps `min_id`, the newest notification seen: Mastodon then
        returns the page of notifications right after it. The first fetch
        reads the newest page; if there is none yet, the cursor starts at 0 so
        that nothing arriving later is skipped.
        """
        min_id = cursor.get("min_id")
        with client.translate_errors(self.api):
            notes = self.api.notifications(
                types=["mention", "quote"], min_id=min_id, limit=PAGE_SIZE
            )
        if not isinstance(notes, list):
            raise Unavailable("Mastodon sent notifications that cannot be read.")
        account_id = (self.channel.remote_id or self.verify().remote_id).split("@")[0]
        items, quarantined = parse.parse_notifications(notes, account_id=account_id)
        newest = parse.newest_id(notes) or min_id or "0"
        return InteractionPage(
            items=tuple(items),
            cursor={"min_id": newest},
            quarantined=tuple(quarantined),
            has_more=len(notes) >= PAGE_SIZE,
        )

    def block(self, author_id: str) -> None:
        with client.translate_errors(self.api):
            self.api.account_block(author_id)

    def mute(self, author_id: str) -> None:
        with client.translate_errors(self.api):
            self.api.account_mute(author_id)

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        """Return followers and, per status, favourites, boosts and replies."""
        with client.translate_errors(self.api):
            followers = self.api.account_verify_credentials().get("followers_count")
            statuses = [self.api.status(remote_id) for remote_id in remote_ids]
        return Metrics(
            followers=followers,
            posts=tuple(
                PostMetrics(
                    remote_id=str(status["id"]),
                    likes=status.get("favourites_count"),
                    shares=status.get("reblogs_count"),
                    replies=status.get("replies_count"),
                )
                for status in statuses
            ),
        )

    def search(self, query: str) -> tuple[IncomingItem, ...]:
        """Search statuses; a lone #hashtag reads that hashtag's timeline."""
        query = query.strip()
        with client.translate_errors(self.api):
            if query.startswith("#") and " " not in query:
                statuses = self.api.timeline_hashtag(query[1:], limit=PAGE_SIZE)
            else:
                statuses = self.api.search_v2(
                    query, result_type="statuses", resolve=False
                )["statuses"]
        return parse.parse_statuses(statuses)

    def _post(self, post: OutgoingPost, **options: Any) -> RemotePost:
        with client.translate_errors(self.api):
            media_ids = [self._upload(media) for media in post.media] or None
            status = self.api.status_post(
                options.pop("text", post.text),
                media_ids=media_ids,
                idempotency_key=post.idempotency_key or None,
                **options,
            )
        return parse.remote_post(status)

    def _upload(self, media: Any) -> Any:
        return self.api.media_post(
            media.content,
            mime_type=media.mime_type,
            description=media.alt_text or None,
            file_name=media.filename or None,
            synchronous=True,
        )


def rules_for_text(limits: dict[str, Any]) -> TextRules:
    default = Mastodon.text_rules
    return TextRules(
        max_length=limits.get("max_characters") or default.max_length,
        url_length=limits.get("characters_reserved_per_url") or default.url_length,
        counting=default.counting,
    )


def rules_for_media(limits: dict[str, Any]) -> MediaRules:
    default = Mastodon.media_rules
    types = tuple(limits.get("supported_mime_types") or ())
    return MediaRules(
        image_types=tuple(t for t in types if t.startswith("image/"))
        or default.image_types,
        max_image_bytes=limits.get("image_size_limit") or default.max_image_bytes,
        max_images=limits.get("max_media_attachments") or default.max_images,
        video_types=tuple(t for t in types if t.startswith("video/"))
        or default.video_types,
        max_video_bytes=limits.get("video_size_limit") or default.max_video_bytes,
        alt_text_length=limits.get("description_limit") or default.alt_text_length,
    )
