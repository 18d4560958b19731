"""Four eyes: what waits for my review; approve, send back, comment, override."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.publishing import services
from leitstelle.publishing.forms import (
    FastLaneForm,
    OverrideForm,
    ReviewForm,
    SendBackForm,
)
from leitstelle.publishing.models import (
    Decision,
    Post,
    PostStatus,
    PublishingSettings,
    Review,
    Variant,
)
from leitstelle.publishing.views.detail import detail_context, get_post, visible_posts

REVIEW_LIMIT = 200


def _approvers_of(post: Post) -> set[int]:
    """Return who approved the current version (prefetched reviews)."""
    return {
        review.user_id
        for review in post.reviews.all()
        if review.decision == Decision.APPROVE
        and review.post_version == post.version
        and review.user_id not in (None, post.author_id)
    }


@require_safe
@require_perm(Perm.VIEW_POSTS)
def review_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    rules = PublishingSettings.current()
    may_approve = user.role in (rules.approver_roles or [])
    posts = (
        visible_posts(user)
        .filter(status=PostStatus.IN_REVIEW)
        .select_related("author", "campaign")
        .prefetch_related(
            Prefetch("variants", Variant.objects.select_related("channel")),
            Prefetch("reviews", Review.objects.order_by("created_at", "id")),
        )
        .order_by("submitted_at", "id")[:REVIEW_LIMIT]
    )
    mine, others = [], []
    for post in posts:
        approvers = _approvers_of(post)
        post.approvals_given = len(approvers)  # type: ignore[attr-defined]
        post.approvals_needed = rules.required_for(post.post_type)  # type: ignore[attr-defined]
        waits = may_approve and post.author_id != user.pk and user.pk not in approvers
        (mine if waits else others).append(post)
    context = {"mine": mine, "others": others, "may_approve": may_approve}
    return render(request, "publishing/review.html", context)


def _refused(request: HttpRequest, post: Post, exc: services.PublishingError) -> None:
    messages.error(request, exc.message)
    for finding in getattr(exc, "findings", []):
        messages.error(request, finding.message)


def _invalid(request: HttpRequest, post: Post, **forms: Any) -> HttpResponse:
    context = detail_context(request, post, **forms)
    return render(request, "publishing/detail.html", context, status=400)


@require_POST
@require_perm(Perm.APPROVE_POSTS)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post(request, pk)
    form = ReviewForm(request.POST, prefix="approve")
    if not form.is_valid():
        return _invalid(request, post, approve_form=form)
    try:
        services.approve(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            text=form.cleaned_data["text"],
            request=request,
        )
    except services.PublishingError as exc:
        _refused(request, post, exc)
        return redirect(post)
    post.refresh_from_db()
    if post.status == PostStatus.IN_REVIEW:
        messages.success(request, _("Your approval was recorded; another is needed."))
    elif post.status == PostStatus.SCHEDULED:
        messages.success(request, _("The post is approved and scheduled."))
    else:
        messages.success(request, _("The post is approved."))
    return redirect("publishing:review")


@require_POST
@require_perm(Perm.APPROVE_POSTS)
def send_back(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post(request, pk)
    form = SendBackForm(request.POST, prefix="back")
    if not form.is_valid():
        return _invalid(request, post, send_back_form=form)
    try:
        services.send_back(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            text=form.cleaned_data["text"],
            request=request,
        )
    except services.PublishingError as exc:
        _refused(request, post, exc)
        return redirect(post)
    messages.success(request, _("The post was sent back to its author."))
    return redirect("publishing:review")


@require_POST
@require_perm(Perm.VIEW_POSTS)
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not (has_perm(user, Perm.COMPOSE_POSTS) or has_perm(user, Perm.APPROVE_POSTS)):
        return HttpResponse(status=403)
    post = get_post(request, pk)
    form = ReviewForm(request.POST, prefix="comment")
    if not form.is_valid() or not form.cleaned_data["text"].strip():
        form.add_error("text", _("Write a comment first."))
        return _invalid(request, post, comment_form=form)
    services.comment(
        post=post,
        actor=user,  # type: ignore[arg-type]
        text=form.cleaned_data["text"],
        request=request,
    )
    messages.success(request, _("The comment was added."))
    return redirect(post)


@require_POST
@require_perm(Perm.APPROVE_POSTS)
def override(request: HttpRequest, pk: int) -> HttpResponse:
    post = get_post(request, pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the override."))
        return redirect(post)
    channel = None
    if form.cleaned_data["channel"] is not None:
        channel = post.variants.filter(channel_id=form.cleaned_data["channel"]).first()
    try:
        services.override_check(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            code=form.cleaned_data["code"],
            reason=form.cleaned_data["reason"],
            channel=channel.channel if channel else None,
            request=request,
        )
    except services.PublishingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The check was overridden; the reason is logged."))
    return redirect(post)


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def fast_lane(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish at once without approvals (crisis); the checks still apply."""
    post = get_post(request, pk)
    form = FastLaneForm(request.POST, prefix="fast")
    if not form.is_valid():
        return _invalid(request, post, fast_lane_form=form)
    try:
        services.fast_lane_publish(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except services.PublishingError as exc:
        _refused(request, post, exc)
    else:
        messages.success(request, _("The post goes out now, without approval."))
    return redirect(post)
