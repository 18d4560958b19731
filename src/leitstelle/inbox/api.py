"""`/api/v1/interactions`: the inbox for scripts and other systems.

The same rules as the UI: every role reads the items of the channels it
sees (VIEW_INBOX); notes, replies, moderation, assignment and status
changes need WORK_INBOX and go through the same service functions, so they
are audited alike. Lists page by keyset cursor, never by offset.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from leitstelle.core.api import ERRORS, require
from leitstelle.core.permissions import Perm
from leitstelle.inbox import media_proxy, queries, services
from leitstelle.inbox.forms import NOTE_MAX_LENGTH, InboxFilterForm
from leitstelle.inbox.models import (
    Interaction,
    InteractionStatus,
    InternalNote,
    Reply,
)

router = Router(tags=["inbox"])
THREAD_LIMIT = 500


class ChannelRef(Schema):
    id: int
    name: str
    network: str = Field(alias="kind")


class AuthorOut(Schema):
    id: int
    remote_id: str
    handle: str
    name: str
    profile_url: str
    avatar: str = Field(
        "", description="Our media-proxy address of the avatar (never the remote one)."
    )
    blocked_at: datetime | None
    muted_at: datetime | None

    @staticmethod
    def resolve_avatar(author: Any) -> str:
        return media_proxy.address(author.avatar_url)


class InteractionOut(Schema):
    id: int
    channel: ChannelRef
    kind: str
    remote_id: str
    url: str
    text: str
    author: AuthorOut
    written_at: datetime = Field(alias="remote_created_at")
    received_at: datetime
    edited_at: datetime | None
    deleted_on_network_at: datetime | None
    hidden_at: datetime | None
    deleted_by_us_at: datetime | None
    status: str
    priority: int
    categories: list[Any]
    tags: list[Any]
    language: str
    assignee: str | None = Field(None, description="Username, or null.")
    root_post: str = Field(description="Remote id of our post the item is on.")
    in_reply_to: str
    media: list[str] = Field(
        [], description="Our media-proxy addresses of attached images and videos."
    )
    response_due_at: datetime | None
    first_response_at: datetime | None

    @staticmethod
    def resolve_assignee(item: Interaction) -> str | None:
        return item.assignee.get_username() if item.assignee else None

    @staticmethod
    def resolve_media(item: Interaction) -> list[str]:
        return [url for url in map(media_proxy.address, item.media_urls or []) if url]


class InteractionPage(Schema):
    items: list[InteractionOut]
    next: str | None = Field(
        description="Pass as `before` for the next page; null at the end."
    )
    previous: str | None = Field(
        description="Pass as `after` for the page before this one; null on the first."
    )


class NoteOut(Schema):
    id: int
    text: str
    author: str | None
    created_at: datetime

    @staticmethod
    def resolve_author(note: InternalNote) -> str | None:
        return note.author.get_username() if note.author else None


class NoteIn(Schema):
    text: str = Field(description="The note; colleagues see it, the network never.")


class ReplyOut(Schema):
    id: int
    text: str
    status: str
    url: str
    error: str
    author: str | None
    created_at: datetime
    sent_at: datetime | None

    @staticmethod
    def resolve_author(reply: Reply) -> str | None:
        return reply.author.get_username() if reply.author else None


class ReplyIn(Schema):
    text: str = Field(description="Sent through the network's API as it is.")


class InteractionDetail(Schema):
    item: InteractionOut
    thread: list[InteractionOut] = Field(
        description="The conversation on the same post, oldest first."
    )
    notes: list[NoteOut]
    replies: list[ReplyOut]


class AssignIn(Schema):
    assignee: str | None = Field(
        description="Username of who works on it; null assigns it to nobody."
    )


class StatusIn(Schema):
    status: str = Field(json_schema_extra={"enum": InteractionStatus.values})


class Filters(Schema):
    q: str = Field("", description="Full-text search (German stemming).")
    channel: int | None = Field(None, description="Channel id.")
    network: str = Field("", description="Network, e.g. mastodon.")
    status: str = Field("", description="Status, e.g. new.")
    category: str = ""
    language: str = ""
    assignee: str = Field("", description="me, none, or a user id.")
    priority_min: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    root_post: str = Field("", description="Remote id of our post.")
    tag: str = ""
    overdue: bool = False
    before: str | None = Field(None, description="Cursor: the page after this one.")
    after: str | None = Field(None, description="Cursor: the page before this one.")


def visible(request: HttpRequest) -> QuerySet[Interaction]:
    return queries.visible_interactions(request.auth)  # type: ignore[attr-defined]


def get_item(request: HttpRequest, interaction_id: int) -> Interaction:
    item = (
        visible(request)
        .select_related("channel", "author", "assignee")
        .filter(pk=interaction_id)
        .first()
    )
    if item is None:
        raise HttpError(
            404, _("There is no item with the id %(id)s.") % {"id": interaction_id}
        )
    media_proxy.register_items([item])
    return item


def form_data(filters: Filters) -> dict[str, Any]:
    data = filters.dict(exclude={"before", "after"}, exclude_none=True)
    return {
        key: ("on" if value is True else str(value))
        for key, value in data.items()
        if value not in ("", False)
    }


@router.get(
    "/interactions",
    response={200: InteractionPage, **ERRORS},
    summary="List inbox items, newest first",
)
def list_interactions(request: HttpRequest, filters: Query[Filters]) -> dict[str, Any]:
    require(request, Perm.VIEW_INBOX)
    form = InboxFilterForm(form_data(filters), user=request.auth)  # type: ignore[attr-defined]
    if not form.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()
        )
        raise HttpError(400, problems)
    matching = queries.filter_interactions(
        visible(request),
        user=request.auth,  # type: ignore[attr-defined]
        **{k: v for k, v in form.cleaned_data.items() if v and k != "sort"},
    )
    page = queries.keyset_page(matching, before=filters.before, after=filters.after)
    media_proxy.register_items(page.items)
    return {
        "items": page.items,
        "next": page.older or None,
        "previous": page.newer or None,
    }


@router.get(
    "/interactions/{interaction_id}",
    response={200: InteractionDetail, **ERRORS},
    summary="One item with its conversation, notes and our replies",
)
def get_interaction(request: HttpRequest, interaction_id: int) -> dict[str, Any]:
    require(request, Perm.VIEW_INBOX)
    item = get_item(request, interaction_id)
    thread = (
        Interaction.objects.filter(channel=item.channel, thread_key=item.thread_key)
        .select_related("channel", "author", "assignee")
        .defer("raw")
        .order_by("remote_created_at", "id")[:THREAD_LIMIT]
    )
    thread = list(thread)
    media_proxy.register_items(thread)
    return {
        "item": item,
        "thread": thread,
        "notes": list(item.notes.select_related("author")),
        "replies": list(item.replies.select_related("author")),
    }


@router.post(
    "/interactions/{interaction_id}/notes",
    response={201: NoteOut, **ERRORS},
    summary="Add an internal note",
)
def add_note(
    request: HttpRequest, interaction_id: int, payload: NoteIn
) -> Status[InternalNote]:
    require(request, Perm.WORK_INBOX)
    item = get_item(request, interaction_id)
    text = payload.text.strip()
    if not text or len(text) > NOTE_MAX_LENGTH:
        raise HttpError(
            400,
            _("A note needs text, at most %(limit)s characters.")
            % {"limit": NOTE_MAX_LENGTH},
        )
    note = services.add_note(
        interaction=item,
        author=request.auth,  # type: ignore[attr-defined]
        text=text,
        request=request,
    )
    return Status(201, note)


@router.post(
    "/interactions/{interaction_id}/replies",
    response={202: ReplyOut, **ERRORS},
    summary="Reply on the network",
    description="The reply is queued and sent in the background; poll the "
    "item's detail for its status (sending, sent, failed).",
)
def reply(request: HttpRequest, interaction_id: int, payload: ReplyIn) -> Status[Reply]:
    from leitstelle.inbox import replies

    require(request, Perm.WORK_INBOX)
    item = get_item(request, interaction_id)
    try:
        sent = replies.send_reply(
            interaction=item,
            actor=request.auth,  # type: ignore[attr-defined]
            text=payload.text,
            request=request,
        )
    except replies.ReplyRefused as exc:
        raise HttpError(400, exc.message) from None
    sent.refresh_from_db()
    return Status(202, sent)


def _moderate(request: HttpRequest, interaction_id: int, action: str) -> Interaction:
    from leitstelle.inbox import moderation

    require(request, Perm.WORK_INBOX)
    item = get_item(request, interaction_id)
    try:
        getattr(moderation, action)(
            interaction=item,
            actor=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    except moderation.ModerationError as exc:
        raise HttpError(409, exc.message) from None
    return get_item(request, interaction_id)


@router.post(
    "/interactions/{interaction_id}/hide",
    response={200: InteractionOut, **ERRORS},
    summary="Hide on the network",
    description="A snapshot of the item is preserved first. 409 when the "
    "network cannot hide or refuses.",
)
def hide(request: HttpRequest, interaction_id: int) -> Interaction:
    return _moderate(request, interaction_id, "hide")


@router.post(
    "/interactions/{interaction_id}/unhide",
    response={200: InteractionOut, **ERRORS},
    summary="Show a hidden item again",
)
def unhide(request: HttpRequest, interaction_id: int) -> Interaction:
    return _moderate(request, interaction_id, "unhide")


@router.post(
    "/interactions/{interaction_id}/assign",
    response={200: InteractionOut, **ERRORS},
    summary="Assign to a colleague (or to nobody)",
)
def assign(request: HttpRequest, interaction_id: int, payload: AssignIn) -> Interaction:
    from leitstelle.inbox import workflow

    require(request, Perm.WORK_INBOX)
    item = get_item(request, interaction_id)
    assignee = None
    if payload.assignee:
        assignee = get_user_model().objects.filter(username=payload.assignee).first()
        if assignee is None:
            raise HttpError(
                400, _("There is no user “%(name)s”.") % {"name": payload.assignee}
            )
    try:
        workflow.assign(
            interactions=[item],
            assignee=assignee,
            actor=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    except workflow.WorkflowError as exc:
        raise HttpError(400, str(exc)) from None
    return get_item(request, interaction_id)


@router.post(
    "/interactions/{interaction_id}/status",
    response={200: InteractionOut, **ERRORS},
    summary="Change the status",
    description="409 when the item cannot move from its status to this one.",
)
def set_status(
    request: HttpRequest, interaction_id: int, payload: StatusIn
) -> Interaction:
    from leitstelle.inbox import workflow

    require(request, Perm.WORK_INBOX)
    item = get_item(request, interaction_id)
    try:
        changed = workflow.set_status(
            interactions=[item],
            status=payload.status,
            actor=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    except workflow.WorkflowError as exc:
        raise HttpError(400, str(exc)) from None
    if not changed and item.status != payload.status:
        raise HttpError(
            409,
            _("The item cannot move from “%(before)s” to “%(after)s”.")
            % {"before": item.status, "after": payload.status},
        )
    return get_item(request, interaction_id)
