"""The inbox: comments, replies, mentions and messages from all channels.

Items are keyed by (channel, remote_id). A thread groups by
(channel, thread_key): the remote id of our post the item belongs to, or the
item's own remote id when it belongs to none. Items deleted on their network
are marked (`deleted_on_network_at`), never removed; edits keep the old text
as `InteractionRevision` rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leitstelle.networks.base import ItemKind
from leitstelle.networks.models import Channel

KIND_CHOICES = [
    (ItemKind.COMMENT.value, _("Comment")),
    (ItemKind.REPLY.value, _("Reply")),
    (ItemKind.MENTION.value, _("Mention")),
    (ItemKind.QUOTE.value, _("Quote")),
    (ItemKind.DIRECT_MESSAGE.value, _("Direct message")),
]


class Author(models.Model):
    """Someone who wrote to us on one channel's network."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="+")
    remote_id = models.CharField(max_length=255)
    handle = models.CharField(_("handle"), max_length=255, blank=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    blocked_at = models.DateTimeField(null=True, blank=True)
    muted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "remote_id"], name="inbox_author_unique_remote_id"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.handle or self.remote_id


class InteractionStatus(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING = "waiting", _("Waiting")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    ESCALATED = "escalated", _("Escalated")


class Interaction(models.Model):
    """One incoming item; the list pages by (remote_created_at, id)."""

    channel = models.ForeignKey(
        Channel, on_delete=models.PROTECT, related_name="interactions"
    )
    remote_id = models.CharField(max_length=255)
    kind = models.CharField(_("kind"), max_length=20, choices=KIND_CHOICES)
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="interactions"
    )
    text = models.TextField(_("text"), blank=True)
    url = models.URLField(max_length=1000, blank=True)
    remote_created_at = models.DateTimeField(_("written at"), db_index=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_on_network_at = models.DateTimeField(null=True, blank=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    root_post = models.CharField(max_length=255, blank=True, db_index=True)
    thread_key = models.CharField(max_length=255, db_index=True)
    media_urls = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=InteractionStatus.choices,
        default=InteractionStatus.NEW,
        db_index=True,
    )
    priority = models.PositiveSmallIntegerField(_("priority"), default=0, db_index=True)
    categories = models.JSONField(default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # What triage said at ingest: confidence per category, the strongest
    # words per category and the model version (see inbox/classification.py).
    triage = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_interactions",
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    deleted_by_us_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # When the first answer is due by the service level of the priority;
    # null once answered or closed. The "overdue" view filters on it.
    response_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-remote_created_at", "-id"]
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "remote_id"],
                name="inbox_interaction_unique_remote_id",
            )
        ]
        indexes = [
            models.Index(
                fields=["status", "-remote_created_at"], name="inbox_status_created"
            ),
            models.Index(
                fields=["channel", "-remote_created_at"], name="inbox_channel_created"
            ),
            models.Index(fields=["assignee", "status"], name="inbox_assignee_status"),
            models.Index(fields=["channel", "thread_key"], name="inbox_thread"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.remote_id}"


class InteractionRevision(models.Model):
    """The text an interaction had before an edit on its network."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="revisions"
    )
    text = models.TextField(blank=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.interaction_id} @ {self.recorded_at:%Y-%m-%d %H:%M}"


class QuarantinedPayload(models.Model):
    """A payload from a network that could not be parsed, kept for admins."""

    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="quarantined_payloads"
    )
    reason = models.TextField(_("reason"))
    raw_body = models.TextField(_("raw payload"), blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("quarantined payload")
        verbose_name_plural = _("quarantined payloads")

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.reason[:60]}"


class InternalNote(models.Model):
    """A note for colleagues on an interaction; never sent to the network."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")

    def __str__(self) -> str:
        return self.text[:60]


class SavedReply(models.Model):
    """A reusable reply text (Textbaustein) with placeholders like {name}."""

    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=8, default="de")
    text = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "language"]
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        constraints = [
            models.UniqueConstraint(
                fields=["title", "language"], name="inbox_saved_reply_unique_title"
            ),
            models.CheckConstraint(
                condition=models.Q(language__regex=r"^.{2,8}$"),
                name="inbox_saved_reply_language_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class Snapshot(models.Model):
    """An item's full raw state, preserved before it is hidden or deleted.

    Snapshots are evidence: raw-payload retention never touches them.
    """

    interaction = models.ForeignKey(
        Interaction, on_delete=models.PROTECT, related_name="snapshots"
    )
    action = models.CharField(_("action"), max_length=20)
    text = models.TextField(blank=True)
    author = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64)
    taken_at = models.DateTimeField(auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["taken_at", "id"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")

    def __str__(self) -> str:
        return f"{self.interaction_id} {self.action} @ {self.taken_at:%Y-%m-%d %H:%M}"


class ReplyStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Reply(models.Model):
    """Our answer to an interaction, sent through the network's API."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.PROTECT, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    text = models.TextField(_("reply"))
    saved_reply = models.ForeignKey(
        "SavedReply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ReplyStatus.choices,
        default=ReplyStatus.SENDING,
    )
    idempotency_key = models.CharField(max_length=64, unique=True)
    remote_id = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")

    def __str__(self) -> str:
        return f"{self.interaction_id}: {self.text[:60]}"


class Presence(models.Model):
    """Who has a thread open (and is typing), for collision warnings."""

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    typing_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presences")
        constraints = [
            models.UniqueConstraint(
                fields=["interaction", "user"], name="inbox_presence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.interaction_id}"


def default_response_minutes() -> dict[str, int]:
    """Target first-response minutes per priority (0 normal … 3 urgent)."""
    return {"0": 24 * 60, "1": 8 * 60, "2": 2 * 60, "3": 30}


class InboxSettings(models.Model):
    """Service levels and retention of the inbox; one row (pk=1)."""

    response_minutes = models.JSONField(default=default_response_minutes)
    raw_retention_days = models.PositiveIntegerField(
        _("keep raw payloads (days)"), default=180
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("inbox settings")
        verbose_name_plural = _("inbox settings")

    def __str__(self) -> str:
        return "inbox settings"

    @classmethod
    def current(cls) -> InboxSettings:
        settings_row, _created = cls.objects.get_or_create(pk=1)
        return settings_row


class SavedView(models.Model):
    """A user's own named filter of the inbox (a query string)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=100)
    query = models.CharField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"], name="inbox_saved_view_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CachedMedia(models.Model):
    """A remote avatar or media file fetched once and served by us.

    The file lives under DATA_DIR/media-cache/<key[:2]>/<key>; the key is the
    SHA-256 of the URL. Opening the inbox never contacts a third party.
    """

    key = models.CharField(max_length=64, unique=True)
    url = models.URLField(max_length=1000)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    fetched_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cached media")
        verbose_name_plural = _("cached media")

    def __str__(self) -> str:
        return self.url
