"""Threads profiles through the Threads API (graph.threads.net).

References: https://developers.facebook.com/docs/threads (posts, reply
management, replies and conversations, insights, keyword search).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from leitstelle.networks import meta
from leitstelle.networks.base import (
    Account,
    Capabilities,
    Connector,
    Counting,
    IncomingItem,
    InteractionPage,
    ItemKind,
    MediaRules,
    Metrics,
    OutgoingPost,
    PostMetrics,
    Quarantined,
    RemotePost,
    TextRules,
)
from leitstelle.networks.payloads import dig, need_str, opt_str, parse_each
from leitstelle.networks.threads.client import graph

REPLY_FIELDS = "id,text,username,permalink,timestamp,media_url,root_post,replied_to"
POST_METRICS = "views,likes,replies,reposts,quotes"
WATCHED_POSTS = 10
PAGES_PER_POST = 5


def _id(value: Any) -> str:
    """Threads answers `root_post`/`replied_to` as an id or as {"id": ...}."""
    value = dig(value, "id") if isinstance(value, dict) else value
    return (
        str(value)
        if isinstance(value, str | int) and not isinstance(value, bool)
        else ""
    )


def thread_item(
    raw: Any, *, kind: ItemKind | None = None, post_id: str = ""
) -> IncomingItem:
    raw = raw if isinstance(raw, dict) else {}
    username = need_str(raw, "username")
    parent = _id(raw.get("replied_to"))
    root = _id(raw.get("root_post")) or post_id
    return IncomingItem(
        remote_id=need_str(raw, "id"),
        kind=kind or (ItemKind.COMMENT if parent == root else ItemKind.REPLY),
        text=opt_str(raw, "text"),
        created_at=meta.parse_time(raw.get("timestamp")),
        # The API names the author but does not give their id.
        author_id=username,
        author_handle=username,
        author_url=f"https://www.threads.net/@{username}",
        url=opt_str(raw, "permalink"),
        in_reply_to=parent,
        root_post=root,
        media_urls=tuple(filter(None, [opt_str(raw, "media_url")])),
        raw=raw,
    )


class Threads(Connector):
    kind = "threads"
    label = "Threads"
    capabilities = Capabilities(threads=True, hide=True, search=True, metrics=True)
    # https://developers.facebook.com/docs/threads/overview: 500 characters
    # (emoji count as their UTF-8 bytes); JPEG/PNG up to 8 MB, carousels of
    # up to 20 items, alt text up to 1,000 characters; no edits.
    text_rules = TextRules(max_length=500, counting=Counting.CHARACTERS)
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png"),
        max_image_bytes=8 * 1024 * 1024,
        max_images=20,
        alt_text_length=1000,
    )

    @cached_property
    def graph(self) -> meta.GraphClient:
        return graph(self.channel.credentials["access_token"])

    def verify(self) -> Account:
        me = self.graph.get("me", fields="id,username,name,threads_profile_picture_url")
        username = str(me.get("username") or "")
        return Account(
            remote_id=need_str(me, "id"),
            handle=username,
            display_name=str(me.get("name") or username),
            avatar_url=str(me.get("threads_profile_picture_url") or ""),
            profile_url=f"https://www.threads.net/@{username}",
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        data = {"text": post.text, "reply_to_id": post.reply_to or ""}
        with meta.public_media(post.media, kind=self.kind) as urls:
            images = [
                {"media_type": "IMAGE", "image_url": url, "alt_text": media.alt_text}
                for url, media in zip(urls, post.media, strict=True)
            ]
            if not images:
                container = self._container({**data, "media_type": "TEXT"}, wait=False)
            elif len(images) == 1:
                container = self._container({**data, **images[0]})
            else:
                children = [
                    self._container({**image, "is_carousel_item": "true"})
                    for image in images
                ]
                container = self._container(
                    {**data, "media_type": "CAROUSEL", "children": ",".join(children)}
                )
            published = self.graph.post(
                "me/threads_publish", data={"creation_id": container}
            )
        return meta.remote_post(
            self.graph.get(str(published["id"]), fields="id,permalink,timestamp")
        )

    def _container(self, data: dict[str, str], *, wait: bool = True) -> str:
        container = str(
            self.graph.post("me/threads", data={k: v for k, v in data.items() if v})[
                "id"
            ]
        )
        if wait:
            meta.wait_until_ready(self.graph, container, field="status")
        return container

    def find_published(
        self, idempotency_key: str, *, post: OutgoingPost | None = None
    ) -> RemotePost | None:
        if post is None:
            raise ValueError("Threads finds a post by its text: pass the post.")
        body = self.graph.get(
            "me/threads", fields="id,text,timestamp,permalink", limit=25
        )
        found = meta.find_own_post(
            meta.page_items(body), post.text, text_key="text", time_key="timestamp"
        )
        return None if found is None else meta.remote_post(found)

    def delete(self, remote_id: str) -> None:
        self.graph.delete(remote_id)

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        """Read the replies, at any depth, under the profile's recent posts."""
        since = cursor.get("since")
        posts = self.graph.get("me/threads", fields="id", limit=WATCHED_POSTS)
        items: list[IncomingItem] = []
        quarantined: list[Quarantined] = []
        for post in meta.page_items(posts):
            if post_id := _id(post):
                found, bad = parse_each(
                    self._conversation(post_id, since),
                    lambda raw, p=post_id: thread_item(raw, post_id=p),
                )
                items += [
                    item for item in found if item.author_handle != self.channel.handle
                ]
                quarantined += bad
        return meta.since_page(items, quarantined, since)

    def _conversation(self, post_id: str, since: str | None) -> list[Any]:
        """Read replies newest first, stopping at the first page older than `since`."""
        body = self.graph.get(
            f"{post_id}/conversation", fields=REPLY_FIELDS, reverse="true"
        )
        raws = meta.page_items(body)
        for _ in range(PAGES_PER_POST - 1):
            oldest = dig(raws[-1], "timestamp") if raws else None
            older = (
                since
                and isinstance(oldest, str)
                and meta.parse_time(oldest).isoformat() < since
            )
            if not (link := meta.next_link(body)) or older:
                break
            body = self.graph.follow(link)
            raws += meta.page_items(body)
        return raws

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        return self.publish(
            OutgoingPost(text=post.text, media=post.media, reply_to=to_remote_id)
        )

    def hide(self, remote_id: str) -> None:
        """Hide a reply and the replies under it (top-level replies only)."""
        self.graph.post(f"{remote_id}/manage_reply", data={"hide": "true"})

    def unhide(self, remote_id: str) -> None:
        self.graph.post(f"{remote_id}/manage_reply", data={"hide": "false"})

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        followers = self._values(
            self.graph.get("me/threads_insights", metric="followers_count")
        )
        return Metrics(
            followers=followers.get("followers_count"),
            posts=tuple(self._post_metrics(remote_id) for remote_id in remote_ids),
        )

    def _post_metrics(self, remote_id: str) -> PostMetrics:
        values = self._values(
            self.graph.get(f"{remote_id}/insights", metric=POST_METRICS)
        )
        reposts, quotes = values.get("reposts"), values.get("quotes")
        return PostMetrics(
            remote_id=remote_id,
            likes=values.get("likes"),
            shares=None if reposts is None else reposts + (quotes or 0),
            replies=values.get("replies"),
            reach=values.get("views"),
        )

    @staticmethod
    def _values(body: dict[str, Any]) -> dict[str, int]:
        """Read insights: `total_value.value` or the last of `values`."""
        values: dict[str, int] = {}
        for metric in meta.page_items(body):
            series = dig(metric, "values")
            value = dig(metric, "total_value", "value")
            if value is None and isinstance(series, list) and series:
                value = dig(series[-1], "value")
            if isinstance(name := dig(metric, "name"), str) and isinstance(value, int):
                values[name] = value
        return values

    def search(self, query: str) -> tuple[IncomingItem, ...]:
        """Search recent public posts (only the profile's own without approval)."""
        fields = "id,text,username,permalink,timestamp,media_url"
        body = self.graph.get(
            "keyword_search", q=query, search_type="RECENT", fields=fields
        )
        found, _quarantined = parse_each(
            meta.page_items(body), lambda raw: thread_item(raw, kind=ItemKind.MENTION)
        )
        return tuple(found)
