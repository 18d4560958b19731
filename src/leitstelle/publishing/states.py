"""The states of posts and publications, and which moves between them are legal.

A post moves draft → in_review → approved → scheduled → publishing →
published | partly_failed | failed, and → retracted when deleted everywhere.
Sending it back or editing it after approval returns it to draft (sent back)
or in_review (edited).

A publication (one variant on one channel) is the dispatcher's state
machine: pending → sending → published | failed (sending → pending again on a
transient error, to be retried); published → retracted; failed → pending on a
manual retry.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PostType(models.TextChoices):
    REPORT = "report", _("Report")
    PREVENTION = "prevention", _("Prevention")
    RECRUITMENT = "recruitment", _("Recruitment")
    WARNING = "warning", _("Warning")
    MANHUNT = "manhunt", _("Manhunt")


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHING = "publishing", _("Going out")
    PUBLISHED = "published", _("Published")
    PARTLY_FAILED = "partly_failed", _("Partly failed")
    FAILED = "failed", _("Failed")
    RETRACTED = "retracted", _("Deleted everywhere")


class PublicationState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENDING = "sending", _("Sending")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    RETRACTED = "retracted", _("Deleted")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approved")
    SEND_BACK = "send_back", _("Sent back")
    COMMENT = "comment", _("Commented")


class MediaKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")
    CAPTIONS = "captions", _("Captions")


# Post states in which the text may be edited like a draft.
EDITABLE = frozenset({PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED})
# Post states that have publication rows waiting or sent.
OUT = frozenset(
    {
        PostStatus.SCHEDULED,
        PostStatus.PUBLISHING,
        PostStatus.PUBLISHED,
        PostStatus.PARTLY_FAILED,
        PostStatus.FAILED,
    }
)

PUBLICATION_MOVES: dict[str, frozenset[str]] = {
    PublicationState.PENDING: frozenset(
        {PublicationState.SENDING, PublicationState.RETRACTED}
    ),
    PublicationState.SENDING: frozenset(
        {
            PublicationState.PUBLISHED,
            PublicationState.FAILED,
            PublicationState.PENDING,
            PublicationState.SENDING,  # reclaimed after its lease ran out
        }
    ),
    PublicationState.PUBLISHED: frozenset({PublicationState.RETRACTED}),
    PublicationState.FAILED: frozenset(
        {PublicationState.PENDING, PublicationState.RETRACTED}
    ),
    PublicationState.RETRACTED: frozenset(),
}


def can_move(current: str, new: str) -> bool:
    return new in PUBLICATION_MOVES.get(current, frozenset())
