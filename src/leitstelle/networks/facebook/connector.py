"""Facebook pages through the Graph API, acting as the page.

Reference: https://developers.facebook.com/docs/pages-api (posts, comments,
moderation) and https://developers.facebook.com/docs/graph-api/reference.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cached_property
from typing import Any

from leitstelle.networks import meta
from leitstelle.networks.base import (
    Account,
    Capabilities,
    Connector,
    ConnectorError,
    ContentRejected,
    IncomingItem,
    InteractionPage,
    ItemKind,
    Media,
    MediaRules,
    Metrics,
    OutgoingPost,
    PostMetrics,
    Quarantined,
    RemotePost,
    TextRules,
)
from leitstelle.networks.facebook.client import NETWORK, graph
from leitstelle.networks.payloads import (
    count,
    dig,
    need_str,
    opt_dict,
    opt_str,
    parse_each,
)

POST_FIELDS = "id,message,created_time,permalink_url"
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},permalink_url,attachment"
)
WATCHED_POSTS = 10  # recent posts whose comments each sync reads
PAGES_PER_POST = 5
METRIC_FIELDS = (
    "reactions.summary(total_count).limit(0),"
    "comments.summary(total_count).limit(0),shares"
)


def comment_item(raw: Any, post_id: str) -> IncomingItem:
    raw = raw if isinstance(raw, dict) else {}
    author, parent = opt_dict(raw, "from"), opt_dict(raw, "parent")
    media = opt_dict(opt_dict(opt_dict(raw, "attachment"), "media"), "image")
    return IncomingItem(
        remote_id=need_str(raw, "id"),
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        text=opt_str(raw, "message"),
        created_at=meta.parse_time(raw.get("created_time")),
        author_id=opt_str(author, "id"),
        author_handle=opt_str(author, "id"),
        author_name=opt_str(author, "name"),
        url=opt_str(raw, "permalink_url"),
        in_reply_to=opt_str(parent, "id") or post_id,
        root_post=post_id,
        media_urls=tuple(filter(None, [opt_str(media, "src")])),
        raw=raw,
    )


class Facebook(Connector):
    kind = "facebook"
    label = "Facebook"
    capabilities = Capabilities(
        edit=True, hide=True, block=True, metrics=True, delete_comments=True
    )
    # https://developers.facebook.com/docs/graph-api/reference/photo/: images
    # under 10 MB; multi-photo posts attach unpublished photos to the feed.
    text_rules = TextRules(max_length=63206)
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff"),
        max_image_bytes=10 * 1024 * 1024,
        max_images=10,
    )

    @cached_property
    def graph(self) -> meta.GraphClient:
        return graph(self.channel.credentials["access_token"])

    @property
    def page_id(self) -> str:
        return self.channel.config["page_id"]

    def verify(self) -> Account:
        me = self.graph.get("me", fields="id,name,username,link,picture")
        if str(me.get("id")) != self.page_id:
            raise ConnectorError(
                f"{NETWORK}: this token belongs to another page ({me.get('name')}).",
                permanent=True,
            )
        extra: dict[str, Any] = {}
        if app_token := self.channel.credentials.get("app_token"):
            extra = meta.token_expiry(
                app_token=app_token,
                token=self.channel.credentials["access_token"],
                network=NETWORK,
            )
            expires = extra["credentials_expire_at"]
            self.channel.credentials_expire_at = (
                datetime.fromisoformat(expires) if expires else None
            )
        picture = opt_dict(opt_dict(me, "picture"), "data")
        return Account(
            remote_id=self.page_id,
            handle=str(me.get("username") or self.page_id),
            display_name=str(me.get("name") or ""),
            avatar_url=opt_str(picture, "url"),
            profile_url=str(
                me.get("link") or f"https://www.facebook.com/{self.page_id}"
            ),
            extra=extra,
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        if len(post.media) == 1:
            photo = self._photo(post.media[0], message=post.text)
            return self._remote(str(photo["post_id"]))
        data = {"message": post.text}
        for index, media in enumerate(post.media):
            photo_id = self._photo(media, published="false")["id"]
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": photo_id})
        return self._remote(
            str(self.graph.post(f"{self.page_id}/feed", data=data)["id"])
        )

    def _photo(self, media: Media, **data: str) -> dict[str, Any]:
        if media.alt_text:
            data["alt_text_custom"] = media.alt_text
        files = {"source": (media.filename or "image", media.content, media.mime_type)}
        return self.graph.post(f"{self.page_id}/photos", data=data, files=files)

    def _remote(self, post_id: str) -> RemotePost:
        return RemotePost(remote_id=post_id, url=f"https://www.facebook.com/{post_id}")

    def find_published(
        self, idempotency_key: str, *, post: OutgoingPost | None = None
    ) -> RemotePost | None:
        if post is None:
            raise ValueError("Facebook finds a post by its text: pass the post.")
        body = self.graph.get(
            f"{self.page_id}/published_posts", fields=POST_FIELDS, limit=25
        )
        found = meta.find_own_post(
            meta.page_items(body),
            post.text,
            text_key="message",
            time_key="created_time",
        )
        if found is None:
            return None
        return RemotePost(
            remote_id=str(found["id"]),
            url=str(found.get("permalink_url") or ""),
            published_at=meta.parse_time(found["created_time"]),
        )

    def edit(self, remote_id: str, post: OutgoingPost) -> RemotePost:
        if post.media:
            raise ContentRejected(
                f"{NETWORK} cannot change the images of a published post.",
                reason="media",
            )
        self.graph.post(remote_id, data={"message": post.text})
        return self._remote(remote_id)

    def delete(self, remote_id: str) -> None:
        self.graph.delete(remote_id)

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        """Read the comments on the page's recent posts newer than the cursor.

        `since` is the newest comment time seen; comments of that very second
        are read again (the inbox drops duplicates by id).
        """
        since = cursor.get("since")
        posts = self.graph.get(
            f"{self.page_id}/published_posts", fields="id", limit=WATCHED_POSTS
        )
        items: list[IncomingItem] = []
        quarantined: list[Quarantined] = []
        for post in meta.page_items(posts):
            post_id = str(dig(post, "id") or "")
            if post_id:
                raws = self._comments(post_id, since)
                found, bad = parse_each(
                    raws, lambda raw, p=post_id: comment_item(raw, p)
                )
                items += found
                quarantined += bad
        return meta.since_page(items, quarantined, since)

    def _comments(self, post_id: str, since: str | None) -> list[Any]:
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": 100,
        }
        body = self.graph.get(f"{post_id}/comments", **params)
        raws = meta.page_items(body)
        for _ in range(PAGES_PER_POST - 1):
            link = meta.next_link(body)
            oldest = (
                raws[-1].get("created_time")
                if raws and isinstance(raws[-1], dict)
                else None
            )
            if not link or (
                since
                and isinstance(oldest, str)
                and meta.parse_time(oldest).isoformat() < since
            ):
                break
            body = self.graph.follow(link)
            raws += meta.page_items(body)
        return raws

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        if post.media:
            raise ContentRejected(
                f"{NETWORK}: replies from Leitstelle carry text only.", reason="media"
            )
        comment = self.graph.post(
            f"{to_remote_id}/comments", data={"message": post.text}
        )
        return RemotePost(remote_id=str(comment["id"]))

    def hide(self, remote_id: str) -> None:
        self.graph.post(remote_id, data={"is_hidden": "true"})

    def unhide(self, remote_id: str) -> None:
        self.graph.post(remote_id, data={"is_hidden": "false"})

    def block(self, author_id: str) -> None:
        """Block a person from the page (Graph `/{page-id}/blocked`)."""
        self.graph.post(
            f"{self.page_id}/blocked", data={"user": json.dumps([author_id])}
        )

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        page = self.graph.get(self.page_id, fields="followers_count,fan_count")
        followers = count(page, "followers_count")
        return Metrics(
            followers=count(page, "fan_count") if followers is None else followers,
            posts=tuple(self._post_metrics(remote_id) for remote_id in remote_ids),
        )

    def _post_metrics(self, remote_id: str) -> PostMetrics:
        body = self.graph.get(remote_id, fields=METRIC_FIELDS)
        return PostMetrics(
            remote_id=remote_id,
            likes=count(body, "reactions", "summary", "total_count"),
            replies=count(body, "comments", "summary", "total_count"),
            # Graph leaves `shares` out while nobody has shared the post.
            shares=count(body, "shares", "count") or 0,
        )
