"""`/api/v1/posts`: compose, review and follow posts from scripts.

The same rules as the UI: every role reads the posts on the channels it sees
(VIEW_POSTS); editors and approvers write them (COMPOSE_POSTS); approvers
approve (APPROVE_POSTS), never their own post. Every change goes through
`publishing.services`, so it is audited alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from leitstelle.core.api import ERRORS, require
from leitstelle.core.permissions import Perm
from leitstelle.networks.models import Channel
from leitstelle.publishing import services
from leitstelle.publishing.models import (
    Campaign,
    Post,
    PostStatus,
    PostType,
    Publication,
    Variant,
)
from leitstelle.publishing.views.detail import visible_posts

router = Router(tags=["posts"])
MAX_TEXT = 70_000


def seen_variants(post: Post, context: dict[str, Any]) -> list[Variant]:
    """Return the post's variants on channels the caller sees."""
    request = context["request"]
    seen = getattr(request, "publishing_channel_ids", None)
    if seen is None:
        visible = Channel.objects.visible_to(request.auth)
        seen = set(visible.values_list("pk", flat=True))
        request.publishing_channel_ids = seen
    return [variant for variant in post.variants.all() if variant.channel_id in seen]


class ChannelRef(Schema):
    id: int
    name: str
    network: str = Field(alias="kind")


class PublicationOut(Schema):
    id: int
    state: str = Field(
        description="pending, sending, published, failed or retracted (deleted)."
    )
    due_at: datetime
    attempts: int
    url: str = Field(description="The post on the network, once published.")
    error: str = Field(description="Why it failed, in plain language.")
    published_at: datetime | None
    retracted_at: datetime | None


class VariantOut(Schema):
    channel: ChannelRef
    text: str
    parts: list[str] = Field(description="The thread's posts; empty: one post.")
    customised: bool = Field(description="false: it follows the master text.")
    publications: list[PublicationOut]

    @staticmethod
    def resolve_publications(variant: Variant) -> list[Publication]:
        return list(variant.publications.all())


class ReviewOut(Schema):
    user: str | None
    decision: str = Field(description="approve, send_back or comment.")
    text: str
    post_version: int
    created_at: datetime

    @staticmethod
    def resolve_user(review: Any) -> str | None:
        return review.user.username if review.user else None


class PostOut(Schema):
    id: int
    title: str
    post_type: str = Field(json_schema_extra={"enum": PostType.values})
    status: str = Field(json_schema_extra={"enum": PostStatus.values})
    master_text: str
    labels: list[str]
    campaign: str | None
    author: str | None
    version: int
    scheduled_at: datetime | None
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    channels: list[ChannelRef]

    @staticmethod
    def resolve_campaign(post: Post) -> str | None:
        return post.campaign.name if post.campaign else None

    @staticmethod
    def resolve_author(post: Post) -> str | None:
        return post.author.username if post.author else None

    @staticmethod
    def resolve_channels(post: Post, context: dict[str, Any]) -> list[Channel]:
        return [variant.channel for variant in seen_variants(post, context)]


class PostDetailOut(PostOut):
    variants: list[VariantOut]
    reviews: list[ReviewOut]
    approvals_needed: int
    approvals_given: int

    @staticmethod
    def resolve_variants(post: Post, context: dict[str, Any]) -> list[Variant]:
        return seen_variants(post, context)

    @staticmethod
    def resolve_reviews(post: Post) -> list[Any]:
        return list(post.reviews.select_related("user"))

    @staticmethod
    def resolve_approvals_needed(post: Post) -> int:
        return services.approvals_needed(post)

    @staticmethod
    def resolve_approvals_given(post: Post) -> int:
        return services.approvals_given(post)


class VariantIn(Schema):
    channel_id: int
    text: str = Field(max_length=MAX_TEXT)
    parts: list[str] | None = Field(
        None, description="Split into a thread: one text per post, in order."
    )


class PostIn(Schema):
    title: str = Field("", max_length=200)
    post_type: str = Field(
        PostType.REPORT.value, json_schema_extra={"enum": PostType.values}
    )
    master_text: str = Field("", max_length=MAX_TEXT)
    labels: list[str] = Field(default_factory=list, max_length=20)
    campaign: str | None = Field(
        None, description="Name of a campaign; it is created if it does not exist."
    )
    channel_ids: list[int] = Field(
        default_factory=list, description="Ids of the channels to publish to."
    )
    variants: list[VariantIn] = Field(
        default_factory=list,
        description="Texts that differ from the master text, per channel.",
    )
    scheduled_at: datetime | None = Field(
        None,
        description="When to publish once approved; without a time zone it is "
        "read as German time (Europe/Berlin).",
    )


class PostPatch(Schema):
    title: str | None = Field(None, max_length=200)
    post_type: str | None = Field(None, json_schema_extra={"enum": PostType.values})
    master_text: str | None = Field(None, max_length=MAX_TEXT)
    labels: list[str] | None = Field(None, max_length=20)
    campaign: str | None = Field(
        None, description="Name of a campaign; an empty string removes it."
    )
    channel_ids: list[int] | None = None
    variants: list[VariantIn] | None = None
    scheduled_at: datetime | None = None


class CommentIn(Schema):
    text: str = Field("", max_length=5000)


class FindingOut(Schema):
    code: str
    severity: str = Field(description="warning or blocker.")
    message: str
    channel_id: int | None
    excerpt: str
    overridden: bool


@contextmanager
def refusals() -> Iterator[None]:
    """Answer a refused service call with the status that fits and its reason."""
    try:
        yield
    except services.NotAllowed as exc:
        raise HttpError(403, exc.message) from None
    except (services.WrongState, services.Blocked) as exc:
        raise HttpError(409, exc.message) from None
    except services.PublishingError as exc:
        raise HttpError(400, exc.message) from None


def posts_of(request: HttpRequest) -> QuerySet[Post]:
    return (
        visible_posts(request.auth)  # type: ignore[attr-defined]
        .select_related("author", "campaign")
        .prefetch_related(
            Prefetch(
                "variants",
                Variant.objects.select_related("channel").prefetch_related(
                    "publications"
                ),
            )
        )
    )


def get_post(request: HttpRequest, post_id: int) -> Post:
    post = posts_of(request).filter(pk=post_id).first()
    if post is None:
        raise HttpError(
            404, _("There is no post with the id %(id)s.") % {"id": post_id}
        )
    return post


def channels_of(request: HttpRequest, ids: list[int]) -> list[Channel]:
    visible = Channel.objects.visible_to(request.auth)  # type: ignore[attr-defined]
    found = list(visible.filter(pk__in=ids))
    missing = sorted(set(ids) - {channel.pk for channel in found})
    if missing:
        raise HttpError(
            400,
            _("There is no channel you may use with the id(s) %(ids)s.")
            % {"ids": ", ".join(map(str, missing))},
        )
    return found


def campaign_named(name: str | None) -> Campaign | None:
    if not name or not name.strip():
        return None
    campaign, _created = Campaign.objects.get_or_create(name=name.strip()[:200])
    return campaign


def check_type(post_type: str | None) -> None:
    if post_type is not None and post_type not in PostType.values:
        raise HttpError(
            400,
            _("Unknown post type; use one of %(types)s.")
            % {"types": ", ".join(PostType.values)},
        )


def apply_variants(request: HttpRequest, post: Post, variants: list[VariantIn]) -> None:
    actor = request.auth  # type: ignore[attr-defined]
    own = {v.channel_id: v for v in post.variants.all()}
    for given in variants:
        variant = own.get(given.channel_id)
        if variant is None:
            raise HttpError(
                400,
                _("Channel %(id)s is not one of this post's channels.")
                % {"id": given.channel_id},
            )
        services.set_variant_text(
            variant=variant,
            actor=actor,
            text=given.text,
            parts=given.parts,
            request=request,
        )


def fresh(request: HttpRequest, post: Post) -> Post:
    return get_post(request, post.pk)


@router.get("/posts", response=list[PostOut], summary="List posts")
@paginate(LimitOffsetPagination)
def list_posts(
    request: HttpRequest, status: str = "", post_type: str = "", campaign: str = ""
) -> Any:
    """Filter by `status`, `post_type` and the campaign's name; newest first."""
    require(request, Perm.VIEW_POSTS)
    posts = posts_of(request).order_by("-created_at", "-id")
    if status:
        posts = posts.filter(status=status)
    if post_type:
        posts = posts.filter(post_type=post_type)
    if campaign:
        posts = posts.filter(campaign__name=campaign)
    return posts


@router.post("/posts", response={201: PostDetailOut, **ERRORS}, summary="Write a post")
def create_post(request: HttpRequest, payload: PostIn) -> Status[Post]:
    require(request, Perm.COMPOSE_POSTS)
    check_type(payload.post_type)
    channels = channels_of(request, payload.channel_ids)
    actor = request.auth  # type: ignore[attr-defined]
    with refusals(), transaction.atomic():
        post = services.create_post(
            author=actor,
            master_text=payload.master_text,
            title=payload.title,
            post_type=payload.post_type,
            labels=payload.labels,
            campaign=campaign_named(payload.campaign),
            channels=channels,
            request=request,
        )
        apply_variants(request, post, payload.variants)
        if payload.scheduled_at is not None:
            services.schedule(
                post=post, actor=actor, at=payload.scheduled_at, request=request
            )
    return Status(201, fresh(request, post))


@router.get(
    "/posts/{post_id}", response={200: PostDetailOut, **ERRORS}, summary="Read a post"
)
def read_post(request: HttpRequest, post_id: int) -> Post:
    require(request, Perm.VIEW_POSTS)
    return get_post(request, post_id)


@router.patch(
    "/posts/{post_id}",
    response={200: PostDetailOut, **ERRORS},
    summary="Change a post",
    description="Pass only what changes. A changed text, type, channel or "
    "variant of an approved post sends it back to review; a post that has gone "
    "out cannot be changed here.",
)
def update_post(request: HttpRequest, post_id: int, payload: PostPatch) -> Post:
    require(request, Perm.COMPOSE_POSTS)
    post = get_post(request, post_id)
    check_type(payload.post_type)
    given = payload.dict(exclude_unset=True)
    changes: dict[str, Any] = {
        name: given[name]
        for name in ("title", "post_type", "master_text", "labels")
        if given.get(name) is not None
    }
    if "campaign" in given:
        changes["campaign"] = campaign_named(given["campaign"])
    if payload.channel_ids is not None:
        changes["channels"] = channels_of(request, payload.channel_ids)
    actor = request.auth  # type: ignore[attr-defined]
    with refusals(), transaction.atomic():
        services.update_post(post=post, actor=actor, request=request, **changes)
        if payload.variants:
            apply_variants(request, post, payload.variants)
        if payload.scheduled_at is not None:
            services.schedule(
                post=post, actor=actor, at=payload.scheduled_at, request=request
            )
    return fresh(request, post)


@router.post(
    "/posts/{post_id}/submit",
    response={200: PostDetailOut, **ERRORS},
    summary="Submit a draft for review",
)
def submit_post(request: HttpRequest, post_id: int) -> Post:
    require(request, Perm.COMPOSE_POSTS)
    post = get_post(request, post_id)
    with refusals():
        services.submit_for_review(
            post=post,
            actor=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    return fresh(request, post)


@router.post(
    "/posts/{post_id}/approve",
    response={200: PostDetailOut, **ERRORS},
    summary="Approve a post in review",
    description="Never the author's own post. Open blockers of the "
    "pre-publish checks refuse the approval (409).",
)
def approve_post(request: HttpRequest, post_id: int, payload: CommentIn) -> Post:
    require(request, Perm.APPROVE_POSTS)
    post = get_post(request, post_id)
    with refusals():
        services.approve(
            post=post,
            actor=request.auth,  # type: ignore[attr-defined]
            text=payload.text,
            request=request,
        )
    return fresh(request, post)


@router.post(
    "/posts/{post_id}/send-back",
    response={200: PostDetailOut, **ERRORS},
    summary="Send a post back to its author",
)
def send_back_post(request: HttpRequest, post_id: int, payload: CommentIn) -> Post:
    require(request, Perm.APPROVE_POSTS)
    post = get_post(request, post_id)
    with refusals():
        services.send_back(
            post=post,
            actor=request.auth,  # type: ignore[attr-defined]
            text=payload.text,
            request=request,
        )
    return fresh(request, post)


class ScheduleIn(Schema):
    scheduled_at: datetime = Field(
        description="When to publish; without a time zone it is read as German "
        "time (Europe/Berlin)."
    )


@router.post(
    "/posts/{post_id}/schedule",
    response={200: PostDetailOut, **ERRORS},
    summary="Publish a post at a time",
    description="An approved post is planned at once; a draft or a post in "
    "review keeps the time and goes out then once approved.",
)
def schedule_post(request: HttpRequest, post_id: int, payload: ScheduleIn) -> Post:
    require(request, Perm.COMPOSE_POSTS)
    post = get_post(request, post_id)
    with refusals():
        services.schedule(
            post=post,
            actor=request.auth,  # type: ignore[attr-defined]
            at=payload.scheduled_at,
            request=request,
        )
    return fresh(request, post)


@router.post(
    "/posts/{post_id}/publish",
    response={200: PostDetailOut, **ERRORS},
    summary="Publish an approved post now",
)
def publish_post(request: HttpRequest, post_id: int) -> Post:
    require(request, Perm.COMPOSE_POSTS)
    post = get_post(request, post_id)
    with refusals():
        services.publish_now(
            post=post,
            actor=request.auth,  # type: ignore[attr-defined]
            request=request,
        )
    return fresh(request, post)


@router.get(
    "/posts/{post_id}/checks",
    response={200: list[FindingOut], **ERRORS},
    summary="Run the pre-publish checks",
)
def check_post(request: HttpRequest, post_id: int) -> list[dict[str, Any]]:
    require(request, Perm.VIEW_POSTS)
    post = get_post(request, post_id)
    return [
        {
            "code": finding.code,
            "severity": finding.severity,
            "message": finding.message,
            "channel_id": finding.channel_id,
            "excerpt": finding.excerpt,
            "overridden": services.is_overridden(post, finding),
        }
        for finding in services.findings(post, links=False)
    ]
