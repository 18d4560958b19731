"""The exercise network behind the connector interface; its data is ours."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from leitstelle.networks.base import (
    Account,
    AuthExpired,
    Capabilities,
    Connector,
    ContentRejected,
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
from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.models import ExerciseAccount, ExercisePost

PAGE_SIZE = 100


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def snapshot(post: ExercisePost) -> dict[str, Any]:
    """Return the post as the network's API would answer, for `raw`."""
    author = post.account
    parent = post.in_reply_to
    return {
        "id": str(post.pk),
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "text": post.text,
        "url": absolute(post.get_absolute_url()),
        "in_reply_to_id": str(parent.pk) if parent else None,
        "in_reply_to_account_id": str(parent.account_id) if parent else None,
        "root_id": str(post.root_id) if post.root_id else None,
        "root_account_id": str(post.root.account_id) if post.root else None,
        "hidden": post.hidden_at is not None,
        "likes_count": post.likes,
        "shares_count": post.shares,
        "account": {
            "id": str(author.pk),
            "handle": author.handle,
            "display_name": author.display_name,
            "url": absolute(author.get_absolute_url()),
        },
        "media_attachments": [
            {
                "id": str(item.pk),
                "type": "image",
                "mime_type": item.mime_type,
                "url": absolute(item.get_absolute_url()),
                "description": item.alt_text,
            }
            for item in post.media.all()
        ],
    }


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value


def _kind(raw: dict[str, Any], me: str) -> ItemKind:
    if raw["root_account_id"] == me:
        same = raw["in_reply_to_id"] == raw["root_id"]
        return ItemKind.COMMENT if same else ItemKind.REPLY
    if raw["in_reply_to_account_id"] == me:
        return ItemKind.REPLY
    return ItemKind.MENTION


def parse_item(raw: dict[str, Any], me: str) -> IncomingItem:
    """Turn one snapshot into an item; raise on any malformed field."""
    author = raw["account"]
    edited = raw.get("edited_at")
    return IncomingItem(
        remote_id=_text(raw, "id"),
        kind=_kind(raw, me),
        text=_text(raw, "text"),
        created_at=datetime.fromisoformat(_text(raw, "created_at")),
        edited_at=datetime.fromisoformat(edited) if edited else None,
        author_id=_text(author, "id"),
        author_handle=_text(author, "handle"),
        author_name=_text(author, "display_name"),
        author_url=_text(author, "url"),
        url=_text(raw, "url"),
        in_reply_to=raw["in_reply_to_id"] or "",
        root_post=raw["root_id"] or "",
        media_urls=tuple(_text(item, "url") for item in raw["media_attachments"]),
        raw=raw,
    )


def parse_page(
    raws: list[Any], me: str
) -> tuple[list[IncomingItem], list[Quarantined]]:
    items, quarantined = [], []
    for raw in raws:
        try:
            items.append(parse_item(raw, me))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            quarantined.append(Quarantined(f"{type(exc).__name__}: {exc}", raw))
    return items, quarantined


@contextmanager
def refusals() -> Iterator[None]:
    """Report what the exercise network refuses as rejected content."""
    try:
        yield
    except services.ExerciseError as exc:
        raise ContentRejected(exc.message, reason=exc.message) from None


class Exercise(Connector):
    kind = "exercise"
    label = "Übungsnetz"
    capabilities = Capabilities(
        edit=True, threads=True, hide=True, block=True, mute=True, search=True,
        metrics=True, delete_comments=True,
    )  # fmt: skip
    # Mastodon's limits, so that drills feel like a real network:
    # https://docs.joinmastodon.org/user/posting/#text
    text_rules = TextRules(
        max_length=services.MAX_TEXT_LENGTH,
        counting=Counting.CHARACTERS,
        url_length=services.URL_LENGTH,
    )
    media_rules = MediaRules(
        image_types=("image/jpeg", "image/png", "image/webp"),
        max_image_bytes=services.MAX_IMAGE_BYTES,
        max_images=services.MAX_IMAGES,
        alt_text_length=services.MAX_ALT_TEXT,
    )

    def _account(self) -> ExerciseAccount:
        account = services.account_for_token(
            handle=str(self.channel.config.get("handle", "")),
            token=str(self.channel.credentials.get("access_token", "")),
        )
        if account is None:
            raise AuthExpired(
                _("The exercise network no longer accepts this channel's access.")
            )
        return account

    def _remote(self, post: ExercisePost) -> RemotePost:
        url = absolute(post.get_absolute_url())
        return RemotePost(str(post.pk), url=url, published_at=post.created_at)

    def verify(self) -> Account:
        account = self._account()
        return Account(
            remote_id=str(account.pk),
            handle=account.handle,
            display_name=account.display_name,
            profile_url=absolute(account.get_absolute_url()),
            extra={"followers": account.followers, "bio": account.bio},
        )

    def publish(self, post: OutgoingPost) -> RemotePost:
        account = self._account()
        with refusals():
            parent = services.find_post(post.reply_to) if post.reply_to else None
            created = services.create_post(
                account=account,
                text=post.text,
                in_reply_to=parent,
                media=post.media,
                idempotency_key=post.idempotency_key,
            )
        return self._remote(created)

    def find_published(self, idempotency_key: str) -> RemotePost | None:
        # A deleted post was published all the same: never publish it twice.
        found = services.post_with_key(self._account(), idempotency_key)
        return self._remote(found) if found else None

    def edit(self, remote_id: str, post: OutgoingPost) -> RemotePost:
        account = self._account()
        with refusals():
            own = services.own_post(account, remote_id)
            edited = services.edit_post(post=own, text=post.text, media=post.media)
        return self._remote(edited)

    def delete(self, remote_id: str) -> None:
        account = self._account()
        with refusals():
            services.delete_post(post=services.deletable_post(account, remote_id))

    def reply(self, to_remote_id: str, post: OutgoingPost) -> RemotePost:
        return self.publish(replace(post, reply_to=to_remote_id))

    def hide(self, remote_id: str) -> None:
        self._set_hidden(remote_id, hidden=True)

    def unhide(self, remote_id: str) -> None:
        self._set_hidden(remote_id, hidden=False)

    def _set_hidden(self, remote_id: str, *, hidden: bool) -> None:
        account = self._account()
        with refusals():
            post = services.find_post(remote_id)
            services.set_hidden(account=account, post=post, hidden=hidden)

    def block(self, author_id: str) -> None:
        account = self._account()
        with refusals():
            services.block(account=account, author_id=author_id)

    def mute(self, author_id: str) -> None:
        account = self._account()
        with refusals():
            services.mute(account=account, author_id=author_id)

    def fetch_interactions(self, cursor: dict[str, Any]) -> InteractionPage:
        account = self._account()
        after = cursor.get("after_id", 0) if isinstance(cursor, dict) else 0
        after = after if isinstance(after, int) else 0
        rows = list(
            ExercisePost.objects.visible()
            .filter(services.interactions_of(account), pk__gt=after)
            .exclude(account_id__in=services.silenced_authors(account))
            .select_related("account", "in_reply_to", "root")
            .prefetch_related("media")
            .distinct()
            .order_by("id")[: PAGE_SIZE + 1]
        )
        page = rows[:PAGE_SIZE]
        items, quarantined = parse_page([snapshot(p) for p in page], str(account.pk))
        return InteractionPage(
            items=tuple(items),
            cursor={"after_id": page[-1].pk if page else after},
            quarantined=tuple(quarantined),
            has_more=len(rows) > PAGE_SIZE,
        )

    def fetch_metrics(self, remote_ids: tuple[str, ...] = ()) -> Metrics:
        account = self._account()
        visible_replies = Count("replies", filter=Q(replies__deleted_at__isnull=True))
        posts = account.posts.visible().annotate(count=visible_replies)
        if remote_ids:
            posts = posts.filter(pk__in=[int(i) for i in remote_ids if i.isdigit()])
        else:
            posts = posts.filter(in_reply_to__isnull=True).order_by("-id")[:PAGE_SIZE]
        per_post = tuple(
            PostMetrics(str(p.pk), likes=p.likes, shares=p.shares, replies=p.count)
            for p in posts
        )
        return Metrics(followers=account.followers, posts=per_post)

    def search(self, query: str) -> tuple[IncomingItem, ...]:
        account = self._account()
        if not query.strip():
            return ()
        found = (
            ExercisePost.objects.visible()
            .filter(text__icontains=query.strip())
            .exclude(account=account)
            .select_related("account", "in_reply_to", "root")
            .prefetch_related("media")
            .order_by("-id")[:PAGE_SIZE]
        )
        items, _quarantined = parse_page([snapshot(p) for p in found], str(account.pk))
        return tuple(items)
