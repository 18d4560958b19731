"""Instagram business accounts through the Graph API, via their Facebook page.

References: https://developers.facebook.com/docs/instagram-platform/
instagram-api-with-facebook-login (content publishing, comment moderation)
and .../reference/instagram-media.
"""

from __future__ import annotations

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
    MediaRules,
    Metrics,
    OutgoingPost,
    PostMetrics,
    Quarantined,
    RemotePost,
    TextRules,
)
from leitstelle.networks.instagram.client import NETWORK, graph
from leitstelle.networks.payloads import (
    count,
    dig,
    need_str,
    opt_dict,
    opt_str,
    parse_each,
)

ACCOUNT_FIELDS = "instagram_business_account{id,username,name,profile_picture_url}"
COMMENT_FIELDS = "id,text,timestamp,username,from,hidden,parent_id"
NOT_LINKED = "Instagram: no Instagram business account is linked to this Facebook page."
WATCHED_MEDIA = 10
PAGES_PER_MEDIA = 5


def with_replies(raws: list[Any]) -> list[tuple[Any, str]]:
    """Flatten comments and the replies nested under each into (raw, parent)."""
    flat: list[tuple[Any, str]] = []
    for raw in raws:
        flat.append((raw, ""))
        parent = dig(raw, "id")
        replies = dig(raw, "replies", "data")
        if isinstance(parent, str | int) and isinstance(replies, list):
            flat += [(reply, str(parent)) for reply in replies]
    return flat


def comment_item(entry: tuple[Any, str], media_id: str) -> IncomingItem:
    raw, parent = entry
    return _item(raw, media_id, parent=parent)


def _item(raw: Any, media_id: str, *, parent: str) -> IncomingItem:
    raw = raw if isinstance(raw, dict) else {}
    author = opt_dict(raw, "from")
    username = opt_str(author, "username") or opt_str(raw, "username")
    return IncomingItem(
        remote_id=need_str(raw, "id"),
        kind=ItemKind.REPLY if parent else ItemKind.COMMENT,
        text=opt_str(raw, "text"),
        created_at=meta.parse_time(raw.get("timestamp")),
        author_id=opt_str(author, "id") or username,
        author_handle=username,
        author_url=f"https://www.instagram.com/{username}/" if username else "",
        in_reply_to=parent or opt_str(raw, "parent_id") or media_id,
        root_post=media_id,
        raw=raw,
    )


class Instagram(Connector):
    kind = "instagram"
    label = "Instagram"
    # Edits of published posts and blocking have no documented endpoint.
    capabilities = Capabilities(hide=True, metrics=True, delete_comments=True)
    # https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/
    # reference/ig-user/media: JPEG only, 8 MB, caption 2,200 characters,
    # carousels of up to 10 items; no text-only posts.
    text_rules = TextRules(max_length=2200)
    media_rules = MediaRules(
        image_types=("image/jpeg",),
        max_image_bytes=8 * 1024 * 1024,
        max_images=10,
        requires_media=True,
    )

    @cached_property
    def graph(self) -> meta.GraphClient:
        return graph(self.channel.credentials["access_token"])

    @property
    def user_id(self) -> str:
        return self.channel.config.get("ig_user_id") or self.channel.remote_id

    def verify(self) -> Account:
        page_id = self.channel.config["page_id"]
        account = opt_dict(
            self.graph.get(page_id, fields=ACCOUNT_FIELDS), "instagram_business_account"
        )
        if not account.get("id"):
            raise ConnectorError(NOT_LINKED, permanent=True)
        self.channel.config["ig_user_id"] = str(account["id"])
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
        username = str(account.get("username") or "")
        return Account(
            remote_id=str(account["id"]),
            handle=username,
            display_name=str(account.get("name") or username),
            avatar_url=str(account.get("profile_picture_url") or ""),
            profile_url=f"https://www.instagram.com/{username}/",
            extra=extra,
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        if not post.media:
            raise ContentRejected(
                f"{NETWORK} publishes no posts without an image.",
                reason="media required",
            )
        with meta.public_media(post.media, kind=self.kind) as urls:
            images = [
                {"image_url": url, "alt_text": media.alt_text}
                for url, media in zip(urls, post.media, strict=True)
            ]
            if len(images) == 1:
                container = self._container({**images[0], "caption": post.text})
            else:
                children = [
                    self._container({**image, "is_carousel_item": "true"})
                    for image in images
                ]
                container = self._container(
                    {
                        "media_type": "CAROUSEL",
                        "children": ",".join(children),
                        "caption": post.text,
                    }
                )
            media_id = str(
                self.graph.post(
                    f"{self.user_id}/media_publish", data={"creation_id": container}
                )["id"]
            )
        return meta.remote_post(
            self.graph.get(media_id, fields="id,permalink,timestamp")
        )

    def _container(self, data: dict[str, str]) -> str:
        container = str(
            self.graph.post(
                f"{self.user_id}/media", data={k: v for k, v in data.items() if v}
            )["id"]
        )
        meta.wait_until_ready(self.graph, container, field="status_code")
        return container

    def find_published(
        self, idempotency_key: str, *, post: OutgoingPost | None = None
    ) -> RemotePost | None:
        if post is None:
            raise ValueError("Instagram finds a post by its caption: pass the post.")
        body = self.graph.get(
            f"{self.user_id}/media", fields="id,caption,timestamp,permalink", limit=25
        )
        found = meta.find_own_post(
            meta.page_items(body), post.text, text_key="caption", time_key="timestamp"
        )
        return None if found is None else meta.remote_post(found)

    def delete(self, remote_id: str) -> None:
        """Delete a post; Meta allows it for accounts linked via Facebook Login."""
        self.graph.delete(remote_id)

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        """Read comments and replies on recent posts newer than the cursor.

        Instagram offers no time filter on comments, so each sync reads the
        first pages of comments of the latest posts and keeps the new ones.
        """
        media = self.graph.get(
            f"{self.user_id}/media", fields="id", limit=WATCHED_MEDIA
        )
        items: list[IncomingItem] = []
        quarantined: list[Quarantined] = []
        for entry in meta.page_items(media):
            media_id = str(dig(entry, "id") or "")
            if media_id:
                found, bad = parse_each(
                    with_replies(self._comments(media_id)),
                    lambda item, m=media_id: comment_item(item, m),
                    kept=lambda item: item[0],
                )
                items += found
                quarantined += bad
        return meta.since_page(items, quarantined, cursor.get("since"))

    def _comments(self, media_id: str) -> list[Any]:
        fields = f"{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}"
        body = self.graph.get(f"{media_id}/comments", fields=fields, limit=50)
        raws = meta.page_items(body)
        for _ in range(PAGES_PER_MEDIA - 1):
            if not (link := meta.next_link(body)):
                break
            body = self.graph.follow(link)
            raws += meta.page_items(body)
        return raws

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        """Answer a comment; Instagram threads answers under top-level comments."""
        if post.media:
            raise ContentRejected(
                f"{NETWORK}: replies carry text only.", reason="media"
            )
        answer = self.graph.post(f"{to_remote_id}/replies", data={"message": post.text})
        return RemotePost(remote_id=str(answer["id"]))

    def hide(self, remote_id: str) -> None:
        self.graph.post(remote_id, data={"hide": "true"})

    def unhide(self, remote_id: str) -> None:
        self.graph.post(remote_id, data={"hide": "false"})

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        account = self.graph.get(self.user_id, fields="followers_count,media_count")
        posts = []
        for remote_id in remote_ids:
            body = self.graph.get(remote_id, fields="like_count,comments_count")
            posts.append(
                PostMetrics(
                    remote_id=remote_id,
                    likes=count(body, "like_count"),
                    replies=count(body, "comments_count"),
                )
            )
        return Metrics(followers=count(account, "followers_count"), posts=tuple(posts))
