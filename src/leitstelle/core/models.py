"""Organisation, users, roles, invitations, login attempts and the audit log."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    APPROVER = "approver", _("Approver")
    EDITOR = "editor", _("Editor")
    COMMUNITY = "community", _("Community manager")
    ANALYST = "analyst", _("Analyst")


class TwoFactorPolicy(models.TextChoices):
    PRIVILEGED = "privileged", _("Required for admins and approvers")
    EVERYONE = "everyone", _("Required for everyone")


class Organisation(models.Model):
    """The one organisation this instance serves (row pk=1)."""

    name = models.CharField(_("name"), max_length=200, default="Leitstelle")
    logo = models.FileField(_("logo"), upload_to="organisation/", blank=True)
    two_factor_policy = models.CharField(
        _("two-factor login"),
        max_length=20,
        choices=TwoFactorPolicy.choices,
        default=TwoFactorPolicy.PRIVILEGED,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("organisation")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Organisation:
        organisation, _created = cls.objects.get_or_create(pk=1)
        return organisation


class Unit(models.Model):
    """A unit or location of the organisation, such as "Dresden"."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of the team; `role` decides what they may do."""

    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.ANALYST
    )
    units = models.ManyToManyField(
        Unit, blank=True, related_name="members", verbose_name=_("units")
    )
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_confirmed_at = models.DateTimeField(null=True, blank=True)
    totp_last_counter = models.BigIntegerField(default=0)
    session_epoch = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def has_two_factor(self) -> bool:
        return self.totp_confirmed_at is not None

    def requires_two_factor(self, organisation: Organisation) -> bool:
        if organisation.two_factor_policy == TwoFactorPolicy.EVERYONE:
            return True
        return self.role in {Role.ADMIN, Role.APPROVER}


class Invitation(models.Model):
    """A one-time link that lets a new member choose a login."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(_("e-mail"), blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    units = models.ManyToManyField(Unit, blank=True, verbose_name=_("units"))
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return (
            self.email or f"{self.first_name} {self.last_name}".strip() or str(self.pk)
        )

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_by_id is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class LoginAttemptQuerySet(models.QuerySet):
    def recent_failures(self, minutes: int) -> LoginAttemptQuerySet:
        return self.filter(
            success=False, created_at__gte=timezone.now() - timedelta(minutes=minutes)
        )


class LoginAttempt(models.Model):
    """One login attempt, kept for lockout decisions."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    success = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = LoginAttemptQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.username}@{self.address}"


class WorkerHeartbeat(models.Model):
    """The last sign of life of one worker process."""

    worker = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.worker


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove an audit entry."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit entries cannot be changed.")

    def delete(self):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    _raw_delete = delete


class AuditEvent(models.Model):
    """One entry of the tamper-evident audit log.

    `hash` is SHA-256 over `prev_hash` and the entry's canonical content, so
    changing or removing any entry breaks the chain from there on.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True, db_index=True)
    object_id = models.CharField(max_length=80, blank=True)
    object_label = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None or not self._state.adding:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    def canonical_content(self) -> bytes:
        content = {
            "sequence": self.sequence,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_label": self.object_label,
            "details": self.details,
            "address": self.address,
        }
        return json.dumps(
            content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        ).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(
            self.prev_hash.encode() + self.canonical_content()
        ).hexdigest()


class AuditHead(models.Model):
    """The chain's head (row pk=1), locked while an entry is appended."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"#{self.sequence}"


class ApiToken(models.Model):
    """A personal token for `/api/v1`; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
