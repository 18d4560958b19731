"""Bluesky: one account on its PDS, through the atproto SDK.

A post's record key is a TID derived from its idempotency key, so a retried
publish finds the record already there instead of posting twice, and
`find_published` asks for exactly that record.
"""

from __future__ import annotations

from typing import Any

from atproto import models
from atproto_client.models.utils import get_or_create
from atproto_core.exceptions import AtProtocolError

from leitstelle.networks.base import (
    Account,
    Capabilities,
    Connector,
    ContentRejected,
    Counting,
    IncomingItem,
    InteractionPage,
    Media,
    MediaRules,
    Metrics,
    OutgoingPost,
    PostMetrics,
    RemotePost,
    TextRules,
    Unavailable,
)
from leitstelle.networks.bluesky import client, parse

POST = "app.bsky.feed.post"
THREADGATE = "app.bsky.feed.threadgate"
PAGE_SIZE = 50


class Bluesky(Connector):
    kind = "bluesky"
    label = "Bluesky"
    capabilities = Capabilities(
        threads=True, hide=True, block=True, mute=True, search=True, metrics=True
    )
    # https://docs.bsky.app/docs/advanced-guides/posts: 300 graphemes;
    # app.bsky.embed.images: up to 4 images of at most 1,000,000 bytes.
    text_rules = TextRules(max_length=300, counting=Counting.GRAPHEMES)
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/webp"),
        max_image_bytes=1_000_000,
        max_images=4,
        alt_text_length=2000,
    )

    def __init__(self, channel: Any) -> None:
        super().__init__(channel)
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            config = self.channel.config
            self._client = client.session_client(
                config["pds_url"], self.channel.credentials, self._save_session
            )
        return self._client

    @property
    def did(self) -> str:
        return self.channel.config["did"]

    def verify(self) -> Account:
        with client.translate_errors():
            profile = self.client.get_profile(self.did)
        return Account(
            remote_id=profile.did,
            handle=f"@{profile.handle}",
            display_name=profile.display_name or profile.handle,
            avatar_url=profile.avatar or "",
            profile_url=f"https://bsky.app/profile/{profile.handle}",
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        return self._create(post, reply_to=post.reply_to)

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        return self._create(post, reply_to=to_remote_id)

    def find_published(self, idempotency_key: str) -> RemotePost | None:
        found = self._record(POST, client.tid_for(idempotency_key))
        if not found:
            return None
        return parse.remote_post(
            found["uri"], (found.get("value") or {}).get("createdAt")
        )

    def delete(self, remote_id: str) -> None:
        """Delete our post; one that is gone already counts as deleted."""
        self._ensure_ours(remote_id)
        with client.translate_errors():
            self.client.delete_post(remote_id)

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        """Return replies, mentions and quotes newer than `cursor["since"]`.

        Notifications come newest first; a sweep pages back (`page`) until it
        reaches what the last sweep saw, then `since` moves to the newest.
        """
        params = models.AppBskyNotificationListNotifications.Params(
            limit=PAGE_SIZE, cursor=cursor.get("page")
        )
        with client.translate_errors():
            content = self.client.invoke_query(
                "app.bsky.notification.listNotifications", params=params
            ).content
        try:
            fresh, next_cursor, has_more = parse.sweep(content, cursor)
        except parse.PayloadError:
            raise Unavailable(
                "Bluesky sent notifications that cannot be read."
            ) from None
        items, quarantined = parse.parse_notifications(fresh, did=self.did)
        return InteractionPage(tuple(items), next_cursor, tuple(quarantined), has_more)

    def hide(self, remote_id: str) -> None:
        """Hide a reply in a thread of ours through the thread's threadgate."""
        self._change_hidden(remote_id, hide=True)

    def unhide(self, remote_id: str) -> None:
        self._change_hidden(remote_id, hide=False)

    def block(self, author_id: str) -> None:
        with client.translate_errors():
            viewer = self.client.get_profile(author_id).viewer
            if viewer is not None and viewer.blocking:
                return
            record = models.AppBskyGraphBlock.Record(
                subject=author_id, created_at=self.client.get_current_time_iso()
            )
            self.client.app.bsky.graph.block.create(self.did, record)

    def mute(self, author_id: str) -> None:
        with client.translate_errors():
            self.client.mute(author_id)

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        """Return followers and, per post, likes, reposts and replies."""
        with client.translate_errors():
            followers = self.client.get_profile(self.did).followers_count
            views = [
                view
                for start in range(0, len(remote_ids), 25)
                for view in self.client.get_posts(
                    list(remote_ids[start : start + 25])
                ).posts
            ]
        return Metrics(
            followers=followers,
            posts=tuple(
                PostMetrics(
                    remote_id=v.uri,
                    likes=v.like_count,
                    shares=v.repost_count,
                    replies=v.reply_count,
                )
                for v in views
            ),
        )

    def search(self, query: str) -> tuple[IncomingItem, ...]:
        params = models.AppBskyFeedSearchPosts.Params(q=query, limit=PAGE_SIZE)
        with client.translate_errors():
            content = self.client.invoke_query(
                "app.bsky.feed.searchPosts", params=params
            ).content
        return parse.parse_post_views(content)

    def _create(self, post: OutgoingPost, *, reply_to: str | None) -> RemotePost:
        rkey = client.tid_for(post.idempotency_key) if post.idempotency_key else None
        if rkey and (found := self.find_published(post.idempotency_key)):
            return found
        with client.translate_errors():
            created_at = self.client.get_current_time_iso()
            record = models.AppBskyFeedPost.Record(
                text=post.text,
                created_at=created_at,
                facets=self.client.detect_facets(post.text) or None,
                embed=self._images(post),
                reply=self._reply_ref(reply_to) if reply_to else None,
            )
            data = models.ComAtprotoRepoCreateRecord.Data(
                repo=self.did, collection=POST, rkey=rkey, record=record
            )
            try:
                created = self.client.com.atproto.repo.create_record(data)
            except AtProtocolError:
                # A retry that raced the first attempt: its record is there.
                if rkey and (found := self.find_published(post.idempotency_key)):
                    return found
                raise
        return parse.remote_post(created.uri, created_at)

    def _images(self, post: OutgoingPost) -> Any:
        if not post.media:
            return None
        images = [
            models.AppBskyEmbedImages.Image(
                alt=media.alt_text, image=self._upload(media)
            )
            for media in post.media
        ]
        return models.AppBskyEmbedImages.Main(images=images)

    def _upload(self, media: Media) -> Any:
        """Upload an image with its own type (the SDK's upload_blob sends */*)."""
        response = self.client.invoke_procedure(
            "com.atproto.repo.uploadBlob",
            content=media.content,
            headers={"Content-Type": media.mime_type},
        )
        return get_or_create(
            response.content, models.ComAtprotoRepoUploadBlob.Response, strict=False
        ).blob

    def _reply_ref(self, parent_uri: str) -> Any:
        views = self.client.get_posts([parent_uri]).posts
        if not views:
            raise ContentRejected(
                "Bluesky: the post to answer no longer exists.", reason="NotFound"
            )
        parent = models.create_strong_ref(views[0])
        reply = getattr(views[0].record, "reply", None)
        return models.AppBskyFeedPost.ReplyRef(
            root=reply.root if reply else parent, parent=parent
        )

    def _record(self, collection: str, rkey: str) -> dict[str, Any] | None:
        """Return our record (uri, cid, value) or None if there is none."""
        params = models.ComAtprotoRepoGetRecord.Params(
            repo=self.did, collection=collection, rkey=rkey
        )
        try:
            with client.translate_errors():
                return self.client.invoke_query(
                    "com.atproto.repo.getRecord", params=params
                ).content
        except ContentRejected as exc:
            if "RecordNotFound" in exc.reason:
                return None
            raise

    def _change_hidden(self, reply_uri: str, *, hide: bool) -> None:
        with client.translate_errors():
            views = self.client.get_posts([reply_uri]).posts
        if not views:
            return  # the reply is gone: nothing left to hide
        reply = getattr(views[0].record, "reply", None)
        root = reply.root.uri if reply else ""
        if parse.did_of(root) != self.did:
            raise ContentRejected(
                "Bluesky: only replies in threads of our posts can be hidden.",
                reason="NotOurThread",
            )
        gate = self._record(THREADGATE, parse.rkey_of(root))
        value = (
            dict(gate["value"])
            if gate
            else {
                "$type": THREADGATE,
                "post": root,
                "createdAt": self.client.get_current_time_iso(),
            }
        )
        hidden = [uri for uri in value.get("hiddenReplies") or [] if uri != reply_uri]
        value["hiddenReplies"] = [*hidden, reply_uri] if hide else hidden
        with client.translate_errors():
            self.client.com.atproto.repo.put_record(
                {
                    "repo": self.did,
                    "collection": THREADGATE,
                    "rkey": parse.rkey_of(root),
                    "record": value,
                }
            )

    def _ensure_ours(self, uri: str) -> None:
        if parse.did_of(uri) != self.did:
            raise ContentRejected(
                "Bluesky: only our own posts can be deleted.", reason="NotOurPost"
            )

    def _save_session(self, session: str) -> None:
        """Keep a refreshed session, also in the database once saved."""
        self.channel.set_credentials({**self.channel.credentials, "session": session})
        if self.channel.pk:
            type(self.channel).objects.filter(pk=self.channel.pk).update(
                credentials_encrypted=self.channel.credentials_encrypted
            )
