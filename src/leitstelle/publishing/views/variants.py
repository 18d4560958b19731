"""Variants as the compose form shows them: live texts, counters, threads.

The counters count the way each channel's network counts (`lib.text`), per
thread part; nothing is stored here: the compose form saves what it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.lib import text as counting
from leitstelle.networks.models import Channel
from leitstelle.publishing.forms import ComposeForm, join_parts, split_parts
from leitstelle.publishing.models import MediaKind, Post
from leitstelle.publishing.splitting import SplitError, split_into_thread
from leitstelle.publishing.views.detail import visible_posts

COMPOSE = "publishing/compose.html"
# The "(2/3)" a thread part ends with, removed before splitting anew.
COUNTER = re.compile(r"\s*\(\d+/\d+\)\s*$")


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class PartCount:
    length: int
    limit: int

    @property
    def over(self) -> int:
        return max(0, self.length - self.limit)


@dataclass
class Draft:
    """One channel's variant as the compose form shows it."""

    channel: Channel
    text: str
    follows: bool  # still the master text
    derived: str = ""
    counts: list[PartCount] = field(default_factory=list)
    threads: bool = False

    @property
    def over(self) -> bool:
        return any(part.over for part in self.counts)

    @property
    def thread(self) -> bool:
        return len(self.counts) > 1


def measure(draft: Draft, *, has_media: bool) -> Draft:
    """Count every part of `draft` the way its network counts."""
    connector = draft.channel.connector
    draft.threads = connector.capabilities.threads
    rules = connector.text_rules
    parts = split_parts(draft.text) if draft.threads else []
    draft.counts = [
        PartCount(
            counting.count(part, rules),
            counting.limit(rules, with_media=has_media and index == 0),
        )
        for index, part in enumerate(parts or [draft.text])
    ]
    return draft


def stored_drafts(post: Post, user: Any) -> list[Draft]:
    has_media = post_has_media(post)
    drafts = []
    visible = Channel.objects.visible_to(user).values("pk")
    variants = post.variants.filter(channel__in=visible).select_related("channel")
    for variant in variants:
        text = variant.text
        if variant.parts and split_parts(text) != variant.parts:
            text = join_parts(variant.parts)
        follows = not variant.customised
        draft = Draft(
            variant.channel,
            text,
            follows,
            derived=post.master_text if follows else "",
        )
        drafts.append(measure(draft, has_media=has_media))
    return drafts


def posted_drafts(
    form: ComposeForm, master: str, channels: list[Channel], *, has_media: bool
) -> list[Draft]:
    """Return the variants as typed; untouched ones follow `master`."""
    texts = form.variant_texts()
    drafts = []
    for channel in channels:
        typed, derived = texts.get(channel.pk, (None, ""))
        follows = typed is None or not typed.strip() or typed == derived
        text = master if follows else str(typed)
        draft = Draft(channel, text, follows, derived=master if follows else "")
        drafts.append(measure(draft, has_media=has_media))
    return drafts


def post_has_media(post: Post | None) -> bool:
    if post is None or post.pk is None:
        return False
    return post.media.exclude(kind=MediaKind.CAPTIONS).exists()


# --- htmx: live variants, counters and thread splitting -----------------------


def _preview_post(request: HttpRequest) -> Post | None:
    pk = request.POST.get("post", "")
    if not pk.isdigit():
        return None
    return visible_posts(request.user).filter(pk=int(pk)).first()


def _preview_form(request: HttpRequest) -> tuple[ComposeForm, str, list[Channel]]:
    form = ComposeForm(request.POST, user=request.user)
    form.is_valid()
    master = form.cleaned_data.get("master_text", "")
    channels = list(form.cleaned_data.get("channels") or [])
    return form, master, channels


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def preview(request: HtmxHttpRequest) -> HttpResponse:
    """Re-derive the variants after the master text or the channels changed."""
    form, master, channels = _preview_form(request)
    has_media = post_has_media(_preview_post(request))
    drafts = posted_drafts(form, master, channels, has_media=has_media)
    return render(request, f"{COMPOSE}#variants", {"drafts": drafts, "form": form})


def _one_draft(request: HttpRequest) -> tuple[Draft, bool] | None:
    form, master, channels = _preview_form(request)
    chosen = request.POST.get("channel", "")
    channel = next((c for c in channels if str(c.pk) == chosen), None)
    if channel is None:
        return None
    has_media = post_has_media(_preview_post(request))
    draft = posted_drafts(form, master, [channel], has_media=has_media)[0]
    return draft, has_media


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def meter(request: HtmxHttpRequest) -> HttpResponse:
    """Return the counter of one variant as it is being typed."""
    found = _one_draft(request)
    if found is None:
        return HttpResponse(status=204)
    return render(request, "publishing/_variant.html#meter", {"draft": found[0]})


@require_POST
@require_perm(Perm.COMPOSE_POSTS)
def split(request: HtmxHttpRequest) -> HttpResponse:
    """Split one over-long variant into a numbered thread."""
    found = _one_draft(request)
    if found is None:
        return HttpResponse(status=204)
    draft, has_media = found
    if draft.threads:
        rules = draft.channel.connector.text_rules
        parts = [COUNTER.sub("", part) for part in split_parts(draft.text)]
        whole = "\n\n".join(parts) or draft.text
        try:
            parts = split_into_thread(whole, rules, with_media=has_media)
        except SplitError:
            parts = [draft.text]
        draft = Draft(draft.channel, join_parts(parts), follows=False)
        measure(draft, has_media=has_media)
    # Nothing is stored yet: the editor sees the parts and saves them.
    return render(request, "publishing/_variant.html", {"draft": draft})
