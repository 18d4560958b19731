"""The posts list, one post with what happened per channel, and its checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.networks.models import Channel
from leitstelle.publishing import dispatcher, services
from leitstelle.publishing.forms import (
    EditPublishedForm,
    FastLaneForm,
    GoOutForm,
    ReviewForm,
    SendBackForm,
)
from leitstelle.publishing.models import (
    MediaKind,
    Post,
    PostStatus,
    Publication,
    PublicationState,
    Variant,
)
from leitstelle.publishing.states import EDITABLE, OUT

PAGE_SIZE = 50
STATUS_FILTERS = {
    "draft": [PostStatus.DRAFT],
    "in_review": [PostStatus.IN_REVIEW, PostStatus.APPROVED],
    "scheduled": [PostStatus.SCHEDULED, PostStatus.PUBLISHING],
    "published": [PostStatus.PUBLISHED],
    "failed": [PostStatus.FAILED, PostStatus.PARTLY_FAILED],
    "retracted": [PostStatus.RETRACTED],
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def visible_posts(user: Any) -> QuerySet[Post]:
    """Return posts on channels `user` sees, and posts without channels."""
    if getattr(user, "role", None) == "admin":
        return Post.objects.all()
    channels = Channel.objects.visible_to(user)
    on_channel = Variant.objects.filter(post=OuterRef("pk"))
    return Post.objects.filter(
        Exists(on_channel.filter(channel__in=channels)) | ~Exists(on_channel)
    )


def get_post(request: HttpRequest, pk: int) -> Post:
    return get_object_or_404(
        visible_posts(request.user).select_related("author", "campaign"), pk=pk
    )


@require_safe
@require_perm(Perm.VIEW_POSTS)
def post_list(request: HtmxHttpRequest) -> HttpResponse:
    shown = request.GET.get("status", "")
    posts = (
        visible_posts(request.user)
        .select_related("author", "campaign")
        .prefetch_related(
            Prefetch("variants", Variant.objects.select_related("channel"))
        )
    )
    if shown in STATUS_FILTERS:
        posts = posts.filter(status__in=STATUS_FILTERS[shown])
    page = Paginator(posts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "shown": shown,
        "filters": [
            ("", _("All")),
            ("draft", _("Drafts")),
            ("in_review", _("In review")),
            ("scheduled", _("Scheduled")),
            ("published", _("Published")),
            ("failed", _("Failed")),
            ("retracted", _("Deleted")),
        ],
        "can_compose": has_perm(request.user, Perm.COMPOSE_POSTS),
    }
    partial = request.htmx and not request.htmx.boosted
    template = "publishing/list.html"
    response = render(request, f"{template}#results" if partial else template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass
class ChannelOutcome:
    """A variant and what became of it on its channel."""

    variant: Variant
    publication: Publication | None
    earlier: list[Publication]


def outcomes(post: Post, user: Any) -> list[ChannelOutcome]:
    """Return what became of the post on each channel `user` sees."""
    visible = Channel.objects.visible_to(user).values("pk")
    variants = post.variants.filter(channel__in=visible)
    variants = variants.select_related("channel").prefetch_related(
        Prefetch("publications", Publication.objects.order_by("-created_at", "-id"))
    )
    result = []
    for variant in variants:
        rows = list(variant.publications.all())
        live = [row for row in rows if row.state != PublicationState.RETRACTED]
        current = live[0] if live else (rows[0] if rows else None)
        earlier = [row for row in rows if row is not current]
        result.append(ChannelOutcome(variant, current, earlier))
    return result


def detail_context(request: HttpRequest, post: Post, **extra: Any) -> dict[str, Any]:
    user = request.user
    may_compose = has_perm(user, Perm.COMPOSE_POSTS)
    may_change = may_compose and services.may_change_published(post, user)
    return {
        "post": post,
        "channels": outcomes(post, user),
        "media": list(
            post.media.filter(captions_for=None).prefetch_related("captions")
        ),
        "reviews": post.reviews.select_related("user"),
        "overrides": post.overrides.select_related("user", "channel"),
        "approvals_needed": services.approvals_needed(post),
        "approvals_given": services.approvals_given(post),
        "can_approve": services.can_approve(post, user),
        "can_send_back": post.status in {PostStatus.IN_REVIEW, PostStatus.APPROVED}
        and services.is_approver(user),
        "can_comment": may_compose or has_perm(user, Perm.APPROVE_POSTS),
        "can_edit": may_compose
        and (post.status in EDITABLE or post.status == PostStatus.SCHEDULED),
        "can_correct": may_change
        and post.status in {PostStatus.PUBLISHED, PostStatus.PARTLY_FAILED},
        "can_delete": may_change and post.status in OUT,
        "can_retry": may_compose,
        "can_unschedule": may_compose and post.status == PostStatus.SCHEDULED,
        "approve_form": ReviewForm(prefix="approve"),
        "send_back_form": SendBackForm(prefix="back"),
        "comment_form": ReviewForm(prefix="comment"),
        "can_fast_lane": services.may_use_fast_lane(user) and post.status in EDITABLE,
        "fast_lane_form": FastLaneForm(prefix="fast"),
        "can_go_out": may_compose
        and post.status in {PostStatus.APPROVED, PostStatus.SCHEDULED},
        "go_out_form": GoOutForm(initial={"scheduled_at": post.scheduled_at}),
        **extra,
    }


@require_safe
@require_perm(Perm.VIEW_POSTS)
def post_detail(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post(request, pk)
    return render(request, "publishing/detail.html", detail_context(request, post))


@require_safe
@require_perm(Perm.VIEW_POSTS)
def media(request: HttpRequest, pk: int, asset_pk: int) -> HttpResponse:
    """Serve an attachment to the team; it is never public before it goes out."""
    post = get_post(request, pk)
    asset = get_object_or_404(post.media, pk=asset_pk)
    try:
        handle = asset.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    inline = asset.kind in {MediaKind.IMAGE, MediaKind.VIDEO}
    return FileResponse(
        handle,
        content_type=asset.mime_type if inline else "text/plain; charset=utf-8",
        as_attachment=not inline,
        filename=asset.original_name or None,
    )


@require_safe
@require_perm(Perm.VIEW_POSTS)
def checks(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Run the pre-publish checks, links included (they may take seconds)."""
    post = get_post(request, pk)
    context = {"post": post, **checks_context(request, post)}
    partial = request.htmx and not request.htmx.boosted
    template = "publishing/_checks.html" if partial else "publishing/checks.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@dataclass(frozen=True)
class Shown:
    finding: Any
    channel: Channel | None
    overridden: bool


def checks_context(request: HttpRequest, post: Post) -> dict[str, Any]:
    found = services.findings(post, links=True)
    channels = {
        v.channel_id: v.channel for v in post.variants.select_related("channel")
    }
    shown = [
        Shown(f, channels.get(f.channel_id), services.is_overridden(post, f))
        for f in found
    ]
    return {
        "blockers": [s for s in shown if s.finding.severity == "blocker"],
        "warnings": [s for s in shown if s.finding.severity != "blocker"],
        "can_override": services.is_approver(request.user)
        and post.status
        in {PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED},
    }


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    publication = get_object_or_404(
        Publication.objects.select_related("variant__post"), pk=pk
    )
    post = get_post(request, publication.variant.post_id)
    try:
        services.retry_publication(
            publication=publication,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except services.PublishingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(channel)s: the post will be sent again.")
            % {"channel": publication.channel.name},
        )
    return redirect(post)


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def unschedule(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post(request, pk)
    try:
        services.unschedule(post=post, actor=request.user, request=request)  # type: ignore[arg-type]
    except services.PublishingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The post is no longer scheduled."))
    return redirect(post)


def report(request: HttpRequest, results: list[services.Outcome]) -> None:
    """Show one message per channel: what happened there."""
    for outcome in results:
        text = f"{outcome.publication.channel.name}: {outcome.message}"
        (messages.success if outcome.ok else messages.error)(request, text)


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.COMPOSE_POSTS)
def delete_everywhere(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post(request, pk)
    if request.method != "POST":
        context = {"post": post, "channels": outcomes(post, request.user)}
        return render(request, "publishing/delete.html", context)
    try:
        results = services.delete_everywhere(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            request=request,
        )
    except services.PublishingError as exc:
        messages.error(request, exc.message)
        return redirect(post)
    report(request, results)
    return redirect(post)


def published_variants(post: Post, user: Any) -> list[Variant]:
    visible = Channel.objects.visible_to(user).values("pk")
    return list(
        post.variants.filter(
            publications__state=PublicationState.PUBLISHED, channel__in=visible
        )
        .select_related("channel")
        .distinct()
    )


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.COMPOSE_POSTS)
def edit_published(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post(request, pk)
    variants = published_variants(post, request.user)
    data = request.POST if request.method == "POST" else None
    form = EditPublishedForm(data, variants=variants)
    context = {
        "post": post,
        "form": form,
        "variants": [
            (
                variant,
                form[f"text_{variant.channel_id}"],
                dispatcher.connector_for(variant.channel),
            )
            for variant in variants
        ],
    }
    if request.method != "POST":
        return render(request, "publishing/edit_published.html", context)
    if not form.is_valid():
        return render(request, "publishing/edit_published.html", context, status=400)
    try:
        results = services.edit_published(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            texts=form.texts(),
            request=request,
        )
    except services.PublishingError as exc:
        messages.error(request, exc.message)
        return render(request, "publishing/edit_published.html", context, status=400)
    if not results:
        messages.info(request, _("Nothing was changed."))
    report(request, results)
    return redirect(post)


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def go_out(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish an approved post now, or plan it for a time."""
    post = get_post(request, pk)
    form = GoOutForm(request.POST)
    actor: Any = request.user
    try:
        if not form.is_valid():
            raise services.PublishingError(_("Enter a date and time."))
        at = form.cleaned_data["scheduled_at"]
        if request.POST.get("action") == "publish":
            services.publish_now(post=post, actor=actor, request=request)
            messages.success(request, _("The post is going out now."))
        elif at is None:
            raise services.PublishingError(_("Choose when the post should go out."))
        else:
            services.schedule(post=post, actor=actor, at=at, request=request)
            messages.success(request, _("The post is scheduled."))
    except services.PublishingError as exc:
        messages.error(request, exc.message)
        for finding in getattr(exc, "findings", []):
            messages.error(request, finding.message)
    return redirect(post)
