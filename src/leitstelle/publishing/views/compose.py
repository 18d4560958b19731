"""Compose a post: master text, variants with live counters, media, actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from leitstelle.core.audit import record_event
from leitstelle.core.permissions import Perm, has_perm, require_perm
from leitstelle.networks.models import Channel
from leitstelle.publishing import services
from leitstelle.publishing.forms import ComposeForm, split_parts
from leitstelle.publishing.models import Campaign, MediaKind, Post, PostStatus, Variant
from leitstelle.publishing.states import EDITABLE
from leitstelle.publishing.views.detail import visible_posts
from leitstelle.publishing.views.variants import (
    Draft,
    post_has_media,
    posted_drafts,
    stored_drafts,
)

COMPOSE = "publishing/compose.html"
ACTIONS = ("save", "submit", "schedule", "publish")


def editable_post(request: HttpRequest, pk: int) -> Post:
    return get_object_or_404(
        visible_posts(request.user).select_related("campaign", "author"), pk=pk
    )


def compose_context(
    request: HttpRequest, form: ComposeForm, post: Post | None, drafts: list[Draft]
) -> dict[str, Any]:
    needed = services.approvals_needed(post) if post else None
    return {
        "form": form,
        "post": post,
        "drafts": drafts,
        "media": list(post.media.filter(captions_for=None)) if post else [],
        "approvals_needed": needed,
        "can_go_out": _may_go_out(post),
        "can_approve": has_perm(request.user, Perm.APPROVE_POSTS),
    }


def _may_go_out(post: Post | None) -> bool:
    """Show "schedule" and "publish now": approved, or no approval needed."""
    if post is None:
        return False
    if post.status in {PostStatus.APPROVED, PostStatus.SCHEDULED}:
        return True
    return post.status == PostStatus.DRAFT and services.approvals_needed(post) == 0


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.COMPOSE_POSTS)
def create(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = ComposeForm(user=request.user)
        return render(request, COMPOSE, compose_context(request, form, None, []))
    form = ComposeForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return invalid(request, form, None)
    data = form.cleaned_data
    post = services.create_post(
        author=request.user,  # type: ignore[arg-type]
        master_text=data["master_text"],
        title=data["title"],
        post_type=data["post_type"],
        labels=data["labels"],
        campaign=chosen_campaign(request, data),
        channels=data["channels"],
        request=request,
    )
    return save_and_act(request, form, post, created=True)


@require_http_methods(["GET", "HEAD", "POST"])
@require_perm(Perm.COMPOSE_POSTS)
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    if post.status not in EDITABLE and post.status != PostStatus.SCHEDULED:
        messages.info(request, _("This post has gone out; correct it here instead."))
        return redirect("publishing:edit_published", pk=post.pk)
    if request.method != "POST":
        form = ComposeForm(initial=initial_of(post), user=request.user)
        context = compose_context(
            request, form, post, stored_drafts(post, request.user)
        )
        return render(request, COMPOSE, context)
    form = ComposeForm(
        request.POST, request.FILES, initial=initial_of(post), user=request.user
    )
    if not form.is_valid():
        return invalid(request, form, post)
    data = form.cleaned_data
    try:
        services.update_post(
            post=post,
            actor=request.user,  # type: ignore[arg-type]
            title=data["title"],
            master_text=data["master_text"],
            post_type=data["post_type"],
            labels=data["labels"],
            campaign=chosen_campaign(request, data),
            channels=[*data["channels"], *unseen_channels(request, post)],
            request=request,
        )
    except services.PublishingError as exc:
        messages.error(request, exc.message)
        return redirect(post)
    return save_and_act(request, form, post, created=False)


def unseen_channels(request: HttpRequest, post: Post) -> list[Channel]:
    """Return the post's channels the user cannot see: the form keeps them."""
    visible = Channel.objects.visible_to(request.user)
    return list(
        Channel.objects.filter(variants__post=post).exclude(pk__in=visible.values("pk"))
    )


def chosen_campaign(request: HttpRequest, data: dict[str, Any]) -> Campaign | None:
    """Return the campaign chosen, or the new one named (created, audited)."""
    name = " ".join(data.get("new_campaign", "").split())
    if data.get("campaign") or not name:
        return data.get("campaign")
    campaign, created = Campaign.objects.get_or_create(name=name)
    if created:
        record_event(
            action="publishing.campaign_created",
            target=campaign,
            details={"name": name},
            request=request,
        )
    return campaign


def initial_of(post: Post) -> dict[str, Any]:
    return {
        "title": post.title,
        "post_type": post.post_type,
        "master_text": post.master_text,
        "channels": list(post.variants.values_list("channel_id", flat=True)),
        "labels": ", ".join(post.labels),
        "campaign": post.campaign_id,
        "scheduled_at": post.scheduled_at,
    }


def invalid(request: HttpRequest, form: ComposeForm, post: Post | None) -> HttpResponse:
    master = form.cleaned_data.get("master_text", form.data.get("master_text", ""))
    channels = list(form.cleaned_data.get("channels") or [])
    drafts = posted_drafts(form, str(master), channels, has_media=post_has_media(post))
    context = compose_context(request, form, post, drafts)
    return render(request, COMPOSE, context, status=400)


def save_and_act(
    request: HttpRequest, form: ComposeForm, post: Post, *, created: bool
) -> HttpResponse:
    """Store variants and media, then do what the pressed button asks."""
    action = request.POST.get("action", "save")
    action = action if action in ACTIONS else "save"
    try:
        save_variants(request, form, post)
        save_media(request, form, post)
        act(request, post, action, form.cleaned_data.get("scheduled_at"))
    except services.PublishingError as exc:
        messages.error(request, exc.message)
        return redirect("publishing:edit", pk=post.pk)
    messages.success(request, done_message(post, action, created=created))
    if action == "save":
        return redirect("publishing:edit", pk=post.pk)
    return redirect(post)


def save_variants(request: HttpRequest, form: ComposeForm, post: Post) -> None:
    actor = request.user
    variants = {v.channel_id: v for v in post.variants.select_related("channel")}
    for channel_id, (typed, derived) in form.variant_texts().items():
        variant = variants.get(channel_id)
        if variant is None:
            continue
        if request.POST.get(f"reset_{channel_id}") or not typed.strip():
            services.reset_variant(variant=variant, actor=actor, request=request)  # type: ignore[arg-type]
        elif typed != derived or variant.customised:
            set_text(request, variant, typed)


def set_text(request: HttpRequest, variant: Variant, typed: str) -> None:
    parts = split_parts(typed) if variant.channel.connector.capabilities.threads else []
    services.set_variant_text(
        variant=variant,
        actor=request.user,  # type: ignore[arg-type]
        text=typed,
        parts=parts if len(parts) > 1 else None,
        request=request,
    )


def save_media(request: HttpRequest, form: ComposeForm, post: Post) -> None:
    actor = request.user
    for asset in post.media.all():
        captions = request.FILES.get(f"captions_{asset.pk}")
        if captions and asset.kind == MediaKind.VIDEO:
            services.add_media(
                post=post,
                actor=actor,  # type: ignore[arg-type]
                file=captions,
                kind=MediaKind.CAPTIONS,
                captions_for=asset,
                request=request,
            )
        alt = request.POST.get(f"alt_{asset.pk}")
        if alt is not None and alt.strip() != asset.alt_text:
            services.set_alt_text(
                asset=asset, actor=actor, alt_text=alt, request=request
            )  # type: ignore[arg-type]
    upload = form.cleaned_data.get("media_file")
    if not upload:
        return
    asset = services.add_media(
        post=post,
        actor=actor,  # type: ignore[arg-type]
        file=upload,
        alt_text=form.cleaned_data.get("alt_text", ""),
        request=request,
    )
    captions = form.cleaned_data.get("captions_file")
    if captions and asset.kind == MediaKind.VIDEO:
        services.add_media(
            post=post,
            actor=actor,  # type: ignore[arg-type]
            file=captions,
            kind=MediaKind.CAPTIONS,
            captions_for=asset,
            request=request,
        )


def act(request: HttpRequest, post: Post, action: str, at: datetime | None) -> None:
    actor: Any = request.user
    post.refresh_from_db()
    if at is not None and action != "publish" and _time_changed(post, at):
        # Before approval the time is remembered; after it, the post is planned.
        services.schedule(post=post, actor=actor, at=at, request=request)
        post.refresh_from_db()
    if action == "submit":
        services.submit_for_review(post=post, actor=actor, request=request)
    elif action in {"schedule", "publish"}:
        if post.status == PostStatus.DRAFT and services.approvals_needed(post) == 0:
            services.submit_for_review(post=post, actor=actor, request=request)
            post.refresh_from_db()
        if action == "publish":
            services.publish_now(post=post, actor=actor, request=request)
        elif at is None:
            raise services.PublishingError(_("Choose when the post should go out."))
        elif post.status != PostStatus.SCHEDULED:
            services.schedule(post=post, actor=actor, at=at, request=request)


def _time_changed(post: Post, at: datetime) -> bool:
    moment = services.local_datetime(at)
    return (
        post.scheduled_at is None
        or abs((post.scheduled_at - moment).total_seconds()) >= 60
    )


def done_message(post: Post, action: str, *, created: bool) -> str:
    post.refresh_from_db()
    if action == "submit":
        if post.status == PostStatus.IN_REVIEW:
            return _("The post was submitted for review.")
        return _("The post needs no approval and is approved.")
    if action == "publish":
        return _("The post is going out now.")
    if action == "schedule" and post.status == PostStatus.SCHEDULED:
        return _("The post is scheduled.")
    if action == "schedule":
        return _("The time was saved; the post goes out then once approved.")
    return _("The draft was saved.") if created else _("The changes were saved.")


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def remove_media(request: HttpRequest, pk: int, asset_pk: int) -> HttpResponse:
    post = editable_post(request, pk)
    asset = get_object_or_404(post.media, pk=asset_pk)
    try:
        services.remove_media(asset=asset, actor=request.user, request=request)  # type: ignore[arg-type]
    except services.PublishingError as exc:
        messages.error(request, exc.message)
        return redirect(post)
    messages.success(request, _("The file was removed."))
    return redirect("publishing:edit", pk=post.pk)
