"""The exercise network's own data: accounts, posts, media and tokens."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

HANDLE_PATTERN = r"[A-Za-z0-9_]{1,30}"


def media_path(instance: Any, filename: str) -> str:
    """Store uploads under a random name: never trust a sender's file name."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"exercise/{uuid.uuid4().hex}.{extension}"


class ExerciseAccount(models.Model):
    """An account on the exercise network: ours or a simulated citizen's."""

    handle = models.CharField(_("handle"), max_length=30, unique=True)
    display_name = models.CharField(_("name"), max_length=100)
    bio = models.TextField(_("bio"), blank=True)
    is_organisation = models.BooleanField(
        _("organisation account"),
        default=False,
        help_text=_("Accounts of the authority, as opposed to simulated citizens."),
    )
    followers = models.PositiveIntegerField(_("followers"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_organisation", "handle"]
        verbose_name = _("exercise account")
        verbose_name_plural = _("exercise accounts")

    def __str__(self) -> str:
        return f"@{self.handle}"

    def get_absolute_url(self) -> str:
        return reverse("exercise:account", args=[self.handle])

    @property
    def initials(self) -> str:
        words = self.display_name.split() or [self.handle]
        return "".join(word[0] for word in words[:2]).upper()


class ExerciseToken(models.Model):
    """An access token of an account; only its hash is stored."""

    account = models.ForeignKey(
        ExerciseAccount, on_delete=models.CASCADE, related_name="tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"token of @{self.account.handle}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class ExercisePostQuerySet(models.QuerySet):
    def visible(self) -> ExercisePostQuerySet:
        return self.filter(deleted_at__isnull=True)


class ExercisePost(models.Model):
    """A post; a comment is a post that answers another post or comment."""

    account = models.ForeignKey(
        ExerciseAccount, on_delete=models.CASCADE, related_name="posts"
    )
    text = models.TextField(_("text"))
    in_reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    # The top-level post of the thread (null for top-level posts), so that a
    # whole thread is one query.
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    mentions = models.ManyToManyField(
        ExerciseAccount, blank=True, related_name="mentioned_in"
    )
    idempotency_key = models.CharField(max_length=200, blank=True)
    likes = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    objects = ExercisePostQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("exercise post")
        verbose_name_plural = _("exercise posts")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="exercise_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"@{self.account.handle}: {self.text[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("exercise:post", args=[self.account.handle, self.pk])

    @property
    def thread_root_id(self) -> int:
        return self.root_id or self.pk


class ExerciseMedia(models.Model):
    """An image attached to a post, with its alternative text."""

    post = models.ForeignKey(
        ExercisePost, on_delete=models.CASCADE, related_name="media"
    )
    file = models.FileField(upload_to=media_path)
    mime_type = models.CharField(max_length=50)
    alt_text = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["post", "position"]

    def __str__(self) -> str:
        return self.alt_text[:40] or self.file.name

    def get_absolute_url(self) -> str:
        return reverse("exercise:media", args=[self.pk])


class ExerciseBlock(models.Model):
    """`account` blocked `target`: no more replies from it in its threads."""

    account = models.ForeignKey(
        ExerciseAccount, on_delete=models.CASCADE, related_name="blocks"
    )
    target = models.ForeignKey(
        ExerciseAccount, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "target"], name="exercise_unique_block"
            )
        ]

    def __str__(self) -> str:
        return f"@{self.account.handle} blocks @{self.target.handle}"


class ExerciseMute(models.Model):
    """`account` muted `target`: its posts no longer notify the account."""

    account = models.ForeignKey(
        ExerciseAccount, on_delete=models.CASCADE, related_name="mutes"
    )
    target = models.ForeignKey(
        ExerciseAccount, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "target"], name="exercise_unique_mute"
            )
        ]

    def __str__(self) -> str:
        return f"@{self.account.handle} mutes @{self.target.handle}"
