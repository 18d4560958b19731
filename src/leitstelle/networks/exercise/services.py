"""What happens on the exercise network: accounts, posts, threads, blocks.

The connector, the citizen UI, scenario replay and `leitstelle demo` all
call these functions. They raise `ExerciseError` when the simulated network
refuses something, with a message a trainer can read.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.models import User
from leitstelle.networks.base import Media
from leitstelle.networks.exercise.models import (
    HANDLE_PATTERN,
    ExerciseAccount,
    ExerciseBlock,
    ExerciseMedia,
    ExerciseMute,
    ExercisePost,
    ExerciseToken,
)

HANDLE_RE = re.compile(rf"{HANDLE_PATTERN}")
MENTION_RE = re.compile(rf"(?<![\w@])@({HANDLE_PATTERN})")
# Paths of the timeline that are not accounts (see urls.py).
RESERVED_HANDLES = frozenset({"buerger", "medien"})
URL_RE = re.compile(r"https?://\S+")
# Like Mastodon: 500 characters, every URL counts as 23 of them.
MAX_TEXT_LENGTH = 500
URL_LENGTH = 23
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_ALT_TEXT = 1500
IMAGE_SIGNATURES: tuple[tuple[str, bytes, int], ...] = (
    ("image/png", b"\x89PNG\r\n\x1a\n", 0),
    ("image/jpeg", b"\xff\xd8\xff", 0),
    ("image/webp", b"WEBP", 8),
)
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class ExerciseError(Exception):
    """The exercise network refused; `message` says why in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ExerciseError):
    """The post or account does not exist (or no longer)."""


def text_length(text: str) -> int:
    """Return the length the network counts: URLs weigh `URL_LENGTH`."""
    urls = URL_RE.findall(text)
    return len(URL_RE.sub("", text)) + URL_LENGTH * len(urls)


def sniff_image(content: bytes) -> str | None:
    """Return the image type the bytes really are, if an allowed one."""
    for mime_type, signature, offset in IMAGE_SIGNATURES:
        if content[offset : offset + len(signature)] == signature:
            return mime_type
    return None


def clean_handle(handle: str) -> str:
    handle = handle.strip().removeprefix("@").lower()
    if not HANDLE_RE.fullmatch(handle):
        raise ExerciseError(
            _("A handle has 1 to 30 letters, digits or underscores, not “%(handle)s”.")
            % {"handle": handle}
        )
    if handle in RESERVED_HANDLES:
        raise ExerciseError(
            _("The handle @%(handle)s is reserved.") % {"handle": handle}
        )
    return handle


# Accounts


def create_account(
    *,
    handle: str,
    display_name: str,
    bio: str = "",
    is_organisation: bool = False,
    followers: int = 0,
) -> ExerciseAccount:
    handle = clean_handle(handle)
    display_name = display_name.strip() or handle
    try:
        with transaction.atomic():
            return ExerciseAccount.objects.create(
                handle=handle,
                display_name=display_name[:100],
                bio=bio,
                is_organisation=is_organisation,
                followers=followers,
            )
    except IntegrityError:
        raise ExerciseError(
            _("The handle @%(handle)s is taken already.") % {"handle": handle}
        ) from None


def get_or_create_account(
    *, handle: str, display_name: str = "", is_organisation: bool = False
) -> tuple[ExerciseAccount, bool]:
    """Return the account with `handle`, creating it if it is missing."""
    existing = ExerciseAccount.objects.filter(handle=clean_handle(handle)).first()
    if existing is not None:
        return existing, False
    try:
        account = create_account(
            handle=handle, display_name=display_name, is_organisation=is_organisation
        )
    except ExerciseError:  # created in the meantime by someone else
        return ExerciseAccount.objects.get(handle=clean_handle(handle)), False
    return account, True


def create_citizen(
    *, handle: str, display_name: str, actor: User, request: HttpRequest | None = None
) -> ExerciseAccount:
    """Create a simulated citizen account from the UI."""
    account = create_account(handle=handle, display_name=display_name)
    record_event(
        action="exercise.account_created",
        actor=actor,
        target=account,
        details={"handle": account.handle, "display_name": account.display_name},
        request=request,
    )
    return account


def issue_token(*, account: ExerciseAccount) -> str:
    """Return a new access token of `account`; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    ExerciseToken.objects.create(
        account=account, token_hash=ExerciseToken.hash_token(token)
    )
    return token


def account_for_token(*, handle: str, token: str) -> ExerciseAccount | None:
    """Return the account `handle` if `token` is one of its tokens."""
    if not handle or not token:
        return None
    found = ExerciseToken.objects.select_related("account").filter(
        token_hash=ExerciseToken.hash_token(token), account__handle=handle
    )
    entry = found.first()
    return entry.account if entry else None


# Posts


def _check_text(text: str, *, has_media: bool) -> None:
    if not text.strip() and not has_media:
        raise ExerciseError(_("A post needs text or an image."))
    length = text_length(text)
    if length > MAX_TEXT_LENGTH:
        raise ExerciseError(
            _("The text has %(length)d characters; at most %(limit)d are allowed.")
            % {"length": length, "limit": MAX_TEXT_LENGTH}
        )


def _check_media(media: Sequence[Media]) -> list[str]:
    """Return the real type of every image, or refuse the lot."""
    if len(media) > MAX_IMAGES:
        raise ExerciseError(
            _("At most %(count)d images per post.") % {"count": MAX_IMAGES}
        )
    types = []
    for item in media:
        mime_type = sniff_image(item.content)
        if mime_type is None:
            raise ExerciseError(_("Only JPEG, PNG and WebP images are allowed."))
        if len(item.content) > MAX_IMAGE_BYTES:
            raise ExerciseError(_("An image may have at most 8 MB."))
        if len(item.alt_text) > MAX_ALT_TEXT:
            raise ExerciseError(
                _("An alternative text may have at most %(count)d characters.")
                % {"count": MAX_ALT_TEXT}
            )
        types.append(mime_type)
    return types


def _check_parent(author: ExerciseAccount, parent: ExercisePost | None) -> None:
    if parent is None:
        return
    if parent.deleted_at is not None:
        raise NotFound(_("The post answered has been deleted."))
    owners = {parent.account_id}
    if parent.root is not None:
        owners.add(parent.root.account_id)
    if ExerciseBlock.objects.filter(account__in=owners, target=author).exists():
        raise ExerciseError(
            _("@%(handle)s has been blocked and cannot answer here.")
            % {"handle": author.handle}
        )


def _attach_media(post: ExercisePost, media: Sequence[Media], types: list[str]) -> None:
    for position, (item, mime_type) in enumerate(zip(media, types, strict=True)):
        attachment = ExerciseMedia(
            post=post, mime_type=mime_type, alt_text=item.alt_text, position=position
        )
        attachment.file.save(
            f"image.{EXTENSIONS[mime_type]}", ContentFile(item.content), save=False
        )
        attachment.save()


def _link_mentions(post: ExercisePost) -> None:
    handles = {handle.lower() for handle in MENTION_RE.findall(post.text)}
    post.mentions.set(ExerciseAccount.objects.filter(handle__in=handles))


def post_with_key(account: ExerciseAccount, key: str) -> ExercisePost | None:
    if not key:
        return None
    return account.posts.filter(idempotency_key=key).first()


def create_post(
    *,
    account: ExerciseAccount,
    text: str,
    in_reply_to: ExercisePost | None = None,
    media: Sequence[Media] = (),
    idempotency_key: str = "",
    created_at: datetime | None = None,
) -> ExercisePost:
    """Publish a post or comment; a known `idempotency_key` returns the old one."""
    existing = post_with_key(account, idempotency_key)
    if existing is not None:
        return existing
    _check_text(text, has_media=bool(media))
    types = _check_media(media)
    _check_parent(account, in_reply_to)
    try:
        with transaction.atomic():
            post = ExercisePost.objects.create(
                account=account,
                text=text,
                in_reply_to=in_reply_to,
                root=(in_reply_to.root or in_reply_to) if in_reply_to else None,
                idempotency_key=idempotency_key,
                created_at=created_at or timezone.now(),
            )
            _attach_media(post, media, types)
            _link_mentions(post)
    except IntegrityError:
        # The same key won a race in another process: that post is the one.
        existing = post_with_key(account, idempotency_key)
        if existing is None:
            raise
        return existing
    return post


def post_citizen_comment(
    *,
    author: ExerciseAccount,
    parent: ExercisePost,
    text: str,
    media: Sequence[Media] = (),
    actor: User,
    request: HttpRequest | None = None,
) -> ExercisePost:
    """Write a comment as a simulated citizen, typed by a trainer."""
    with transaction.atomic():
        post = create_post(account=author, text=text, in_reply_to=parent, media=media)
        record_event(
            action="exercise.comment_posted",
            actor=actor,
            target=post,
            details={
                "author": author.handle,
                "in_reply_to": parent.pk,
                "images": len(media),
            },
            request=request,
        )
    return post


def own_post(account: ExerciseAccount, post_id: str) -> ExercisePost:
    """Return `account`'s post `post_id` that is not deleted, or refuse."""
    post = find_post(post_id)
    if post.account_id != account.pk:
        raise NotFound(_("This post belongs to another account."))
    return post


def deletable_post(account: ExerciseAccount, post_id: str) -> ExercisePost:
    """Return a post `account` may delete: its own, or a reply in its thread."""
    post = find_post(post_id)
    if post.account_id == account.pk:
        return post
    if post.root is not None and post.root.account_id == account.pk:
        return post
    raise NotFound(_("This post belongs to another account."))


def find_post(post_id: str | int) -> ExercisePost:
    """Return the post `post_id` unless it is missing or deleted."""
    try:
        post = ExercisePost.objects.select_related("account", "root").get(
            pk=int(post_id), deleted_at__isnull=True
        )
    except (ValueError, TypeError, ExercisePost.DoesNotExist):
        raise NotFound(
            _("There is no post %(id)s on the exercise network.") % {"id": post_id}
        ) from None
    return post


@transaction.atomic
def edit_post(
    *, post: ExercisePost, text: str, media: Sequence[Media] = ()
) -> ExercisePost:
    """Change the text; new `media` replace the old images when given."""
    _check_text(text, has_media=bool(media) or post.media.exists())
    types = _check_media(media)
    post.text = text
    post.edited_at = timezone.now()
    post.save(update_fields=["text", "edited_at"])
    if media:
        post.media.all().delete()
        _attach_media(post, media, types)
    _link_mentions(post)
    return post


def delete_post(*, post: ExercisePost) -> None:
    """Mark the post deleted; its thread stays, showing the gap."""
    post.deleted_at = timezone.now()
    post.save(update_fields=["deleted_at"])


def set_hidden(*, account: ExerciseAccount, post: ExercisePost, hidden: bool) -> None:
    """Hide or show a reply in one of `account`'s threads."""
    if post.root is None or post.root.account_id != account.pk:
        raise ExerciseError(
            _("Only replies in the account's own threads can be hidden.")
        )
    post.hidden_at = timezone.now() if hidden else None
    post.save(update_fields=["hidden_at"])


def _target(account: ExerciseAccount, author_id: str) -> ExerciseAccount:
    try:
        target = ExerciseAccount.objects.get(pk=int(author_id))
    except (ValueError, TypeError, ExerciseAccount.DoesNotExist):
        raise NotFound(
            _("There is no account %(id)s on the exercise network.") % {"id": author_id}
        ) from None
    if target.pk == account.pk:
        raise ExerciseError(_("An account cannot block or mute itself."))
    return target


def block(*, account: ExerciseAccount, author_id: str) -> None:
    ExerciseBlock.objects.get_or_create(
        account=account, target=_target(account, author_id)
    )


def mute(*, account: ExerciseAccount, author_id: str) -> None:
    ExerciseMute.objects.get_or_create(
        account=account, target=_target(account, author_id)
    )


def interactions_of(account: ExerciseAccount) -> Q:
    """Match posts that answer `account`'s threads or posts, or mention it."""
    return (
        Q(root__account=account) | Q(in_reply_to__account=account) | Q(mentions=account)
    ) & ~Q(account=account)


def silenced_authors(account: ExerciseAccount) -> Iterable[int]:
    blocked = ExerciseBlock.objects.filter(account=account)
    muted = ExerciseMute.objects.filter(account=account)
    return [
        *blocked.values_list("target_id", flat=True),
        *muted.values_list("target_id", flat=True),
    ]


# Threads, for the timeline


def attach_threads(tops: Sequence[ExercisePost]) -> None:
    """Give each post in `tops` its answers as nested `.children` lists."""
    root_ids = {post.thread_root_id for post in tops}
    answers = list(
        ExercisePost.objects.filter(root_id__in=root_ids)
        .select_related("account", "root")
        .prefetch_related("media")
        .order_by("created_at", "id")
    )
    by_id = {post.pk: post for post in [*answers, *tops]}
    for post in by_id.values():
        post.children = []
    for post in answers:
        parent = by_id.get(post.in_reply_to_id)
        if parent is not None:
            parent.children.append(post)
