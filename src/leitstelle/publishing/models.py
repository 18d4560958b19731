"""Posts, their per-channel variants, media, reviews and publications.

A `Post` is written once (master text) and adapted per channel (`Variant`,
unique per post and channel). Approval and scheduling turn each variant into a
`Publication` row, the dispatcher's unit of work: it carries the idempotency
key sent to the network and, once published, the remote id and link.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.models import Channel
from leitstelle.publishing.states import (
    Decision,
    MediaKind,
    PostStatus,
    PostType,
    PublicationState,
)

__all__ = [
    "Campaign",
    "CheckOverride",
    "Decision",
    "MediaAsset",
    "MediaKind",
    "Post",
    "PostStatus",
    "PostType",
    "Publication",
    "PublicationState",
    "PublishingSettings",
    "Review",
    "Variant",
]


def default_approvals_required() -> dict[str, int]:
    return {
        PostType.REPORT: 1,
        PostType.PREVENTION: 1,
        PostType.RECRUITMENT: 1,
        PostType.WARNING: 1,
        PostType.MANHUNT: 2,
    }


def default_approver_roles() -> list[str]:
    return ["admin", "approver"]


class PublishingSettings(models.Model):
    """The organisation's publishing rules (row pk=1)."""

    approvals_required = models.JSONField(
        _("approvals required per post type"), default=default_approvals_required
    )
    approver_roles = models.JSONField(
        _("roles that may approve"), default=default_approver_roles
    )
    watch_words = models.JSONField(_("watch list"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("publishing settings")

    def __str__(self) -> str:
        return str(_("Publishing settings"))

    @classmethod
    def current(cls) -> PublishingSettings:
        found, _created = cls.objects.get_or_create(pk=1)
        return found

    def required_for(self, post_type: str) -> int:
        """Return how many approvals a post of `post_type` needs (0, 1 or 2)."""
        value = self.approvals_required.get(str(post_type))
        if value is None:
            value = default_approvals_required().get(post_type, 1)
        return max(0, min(2, int(value)))


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["archived", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """One message, written once and sent to several channels."""

    title = models.CharField(_("title"), max_length=200, blank=True)
    post_type = models.CharField(
        _("type"), max_length=20, choices=PostType.choices, default=PostType.REPORT
    )
    master_text = models.TextField(_("text"), blank=True)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
        verbose_name=_("campaign"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    scheduled_at = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="posts",
        verbose_name=_("author"),
    )
    # Bumped on every change of text, media or channels: approvals count for
    # the version they were given to only.
    version = models.PositiveIntegerField(default=1)
    fast_lane = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            models.Index(fields=["scheduled_at"], name="publishing_post_sched_idx"),
            models.Index(fields=["status"], name="publishing_post_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title or self.master_text[:60] or f"#{self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("publishing:detail", args=[self.pk])


class Variant(models.Model):
    """The post as it goes out on one channel."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="variants"
    )
    text = models.TextField(_("text"), blank=True)
    # True once someone edited it: it no longer follows the master text.
    customised = models.BooleanField(default=False)
    # Split into a thread: the parts in order; empty means one post (`text`).
    parts = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["post", "channel__kind", "channel__name"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        constraints = [
            models.UniqueConstraint(
                fields=["post", "channel"], name="publishing_variant_unique_channel"
            )
        ]

    def __str__(self) -> str:
        return f"{self.post} → {self.channel}"

    @property
    def texts(self) -> list[str]:
        """What goes out: the thread's parts, or the text as one post."""
        return [str(part) for part in self.parts] if self.parts else [self.text]


def media_path(instance: Any, filename: str) -> str:
    """Store uploads under a random name below DATA_DIR/media/publishing."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"publishing/{uuid.uuid4().hex}.{extension[:10]}"


class MediaAsset(models.Model):
    """An image, video or captions file attached to a post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=media_path)
    kind = models.CharField(
        max_length=20, choices=MediaKind.choices, default=MediaKind.IMAGE
    )
    # For a captions file: the video it belongs to.
    captions_for = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="captions",
    )
    alt_text = models.TextField(_("alt text"), blank=True)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["post", "position", "id"]
        verbose_name = _("media file")
        verbose_name_plural = _("media files")

    def __str__(self) -> str:
        return self.original_name or self.file.name

    @property
    def mime(self) -> str:
        """The mime type (the name the media and checks modules read)."""
        return self.mime_type


class Review(models.Model):
    """An approval, a send-back or a comment on one version of a post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    text = models.TextField(_("comment"), blank=True)
    post_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.get_decision_display()}: {self.post}"


class CheckOverride(models.Model):
    """An approver accepted a blocker of the pre-publish checks, with a reason."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="overrides")
    code = models.CharField(max_length=100)
    channel = models.ForeignKey(
        Channel, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.TextField(_("reason"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    post_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("check override")
        verbose_name_plural = _("check overrides")

    def __str__(self) -> str:
        return f"{self.code}: {self.reason[:40]}"


def new_idempotency_key() -> str:
    return f"lt-{uuid.uuid4().hex}"


class Publication(models.Model):
    """One variant going out on its channel: the dispatcher's unit of work."""

    variant = models.ForeignKey(
        Variant, on_delete=models.CASCADE, related_name="publications"
    )
    # The same as variant.channel, kept here for the dispatcher and the queue.
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="publications"
    )
    state = models.CharField(
        max_length=20,
        choices=PublicationState.choices,
        default=PublicationState.PENDING,
    )
    due_at = models.DateTimeField(_("due"))
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(
        max_length=64, unique=True, default=new_idempotency_key
    )
    # The network may have accepted an earlier try (timeout, 5xx, worker died):
    # ask it before sending again.
    outcome_unknown = models.BooleanField(default=False)
    claim_token = models.CharField(max_length=32, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=255, blank=True)
    # One remote id per thread part already out, in order.
    remote_ids = models.JSONField(default=list, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    retracted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        indexes = [
            models.Index(
                fields=["state", "next_attempt_at"], name="publishing_pub_due_idx"
            ),
            models.Index(fields=["channel", "due_at"], name="publishing_pub_queue_idx"),
        ]
        constraints = [
            # At most one live publication per variant; delete-and-repost
            # retracts the old one before a new one is made.
            models.UniqueConstraint(
                fields=["variant"],
                condition=~models.Q(state="retracted"),
                name="publishing_one_live_publication",
            )
        ]

    def __str__(self) -> str:
        return f"{self.variant} ({self.get_state_display()})"
