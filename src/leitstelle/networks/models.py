"""Channels: one connected account on one network."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leitstelle.core.models import Unit
from leitstelle.lib import crypto
from leitstelle.networks import registry
from leitstelle.networks.base import (
    AuthExpired,
    Connector,
    ConnectorError,
    ContentRejected,
    RateLimited,
)


class ChannelStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    NEEDS_REAUTH = "needs_reauth", _("Needs re-authorisation")
    RATE_LIMITED = "rate_limited", _("Rate limited")
    FAILING = "failing", _("Failing")
    PAUSED = "paused", _("Paused")


class ChannelQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> ChannelQuerySet:
        """Return channels `user` may see: unrestricted ones and their units'."""
        if getattr(user, "role", None) == "admin":
            return self
        return self.filter(
            models.Q(units__isnull=True, users__isnull=True)
            | models.Q(units__in=user.units.all())
            | models.Q(users=user)
        ).distinct()


class Channel(models.Model):
    """One account on one network, with its encrypted credentials."""

    MAX_TRANSIENT_FAILURES = 10

    kind = models.CharField(_("network"), max_length=20, choices=registry.kind_choices)
    name = models.CharField(_("name"), max_length=200)
    remote_id = models.CharField(max_length=200, blank=True)
    handle = models.CharField(_("handle"), max_length=200, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    profile_url = models.URLField(max_length=1000, blank=True)
    config = models.JSONField(default=dict, blank=True)
    credentials_encrypted = models.TextField(blank=True)
    credentials_expire_at = models.DateTimeField(null=True, blank=True)
    units = models.ManyToManyField(Unit, blank=True, related_name="channels")
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="channels"
    )
    status = models.CharField(
        max_length=20, choices=ChannelStatus.choices, default=ChannelStatus.ACTIVE
    )
    rate_limited_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    sync_interval_seconds = models.PositiveIntegerField(default=60)
    cursor = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "remote_id"],
                condition=~models.Q(remote_id=""),
                name="unique_account_per_network",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({registry.LABELS.get(self.kind, self.kind)})"

    @property
    def connector(self) -> Connector:
        return registry.connector_class(self.kind)(self)

    @property
    def credentials(self) -> dict[str, Any]:
        return crypto.decrypt_json(self.credentials_encrypted)

    def set_credentials(self, data: dict[str, Any]) -> None:
        self.credentials_encrypted = crypto.encrypt_json(data)

    def record_success(self) -> None:
        self.status = ChannelStatus.ACTIVE
        self.failure_count = 0
        self.rate_limited_until = None
        self.last_sync_at = timezone.now()

    def record_error(self, error: ConnectorError) -> None:
        """Note a failure; pause on permanent ones or after many in a row.

        A rejected post says nothing about the channel's health: the caller
        records it on the post, the channel stays as it is.
        """
        if isinstance(error, ContentRejected):
            return
        now = timezone.now()
        self.last_error = error.message
        self.last_error_at = now
        self.failure_count += 1
        if isinstance(error, RateLimited):
            self.status = ChannelStatus.RATE_LIMITED
            self.rate_limited_until = now + timedelta(seconds=error.retry_after or 900)
        elif isinstance(error, AuthExpired):
            self.status = ChannelStatus.NEEDS_REAUTH
        elif error.permanent or self.failure_count >= self.MAX_TRANSIENT_FAILURES:
            self.status = ChannelStatus.PAUSED
        else:
            self.status = ChannelStatus.FAILING
