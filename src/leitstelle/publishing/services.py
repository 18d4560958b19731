"""Everything that changes a post: write, review, schedule, publish, retract.

Views, the API and tasks call these functions only. Each is keyword-only,
runs in one transaction and writes an audit event. Errors are
`PublishingError`s whose `message` is plain language for the UI.

Four-eyes: a post needs `PublishingSettings.required_for(post_type)`
approvals (0, 1 or 2) from distinct users whose role is in
`approver_roles`, never from its author, given to its current `version`.
Every content change bumps the version, so earlier approvals stop counting;
changing an approved or scheduled post sends it back to review.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.core.files.base import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from leitstelle.core.audit import record_event
from leitstelle.core.models import Role, User
from leitstelle.networks.base import ConnectorError, OutgoingPost
from leitstelle.networks.models import Channel
from leitstelle.publishing.models import (
    Campaign,
    CheckOverride,
    Decision,
    MediaAsset,
    MediaKind,
    Post,
    PostStatus,
    PostType,
    Publication,
    PublicationState,
    PublishingSettings,
    Review,
    Variant,
)
from leitstelle.publishing.states import EDITABLE, OUT

if TYPE_CHECKING:
    from leitstelle.networks.base import Connector

logger = logging.getLogger(__name__)

BERLIN = ZoneInfo("Europe/Berlin")
# A time this little in the past counts as "now" (form round trips).
PAST_GRACE = timedelta(minutes=2)


class PublishingError(Exception):
    """A publishing action was refused; `message` is plain language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(PublishingError):
    """The user may not do this (roles, four-eyes)."""


class WrongState(PublishingError):
    """The post or publication is not in a state that allows this."""


class Blocked(PublishingError):
    """Pre-publish checks found blockers nobody has overridden."""

    def __init__(self, message: str, *, findings: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.findings = list(findings)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class Outcome:
    """What happened to one publication in edit_published / delete_everywhere."""

    publication: Publication
    ok: bool
    message: str = ""


# --- time -------------------------------------------------------------------


def local_datetime(value: datetime | date, at: time | None = None) -> datetime:
    """Return `value` as an aware datetime; naive values are Berlin wall time.

    zoneinfo with fold=0 takes the first of two ambiguous autumn times, and
    moves a spring-forward time that does not exist one hour later.
    """
    if not isinstance(value, datetime):
        value = datetime.combine(value, at or time(0, 0))
    if timezone.is_aware(value):
        return value
    aware = value.replace(tzinfo=BERLIN, fold=0)
    # Normalise non-existent wall times (02:30 on the spring-forward day).
    return aware.astimezone(ZoneInfo("UTC")).astimezone(BERLIN)


def _future(at: datetime | date, now: datetime) -> datetime:
    moment = local_datetime(at)
    if moment < now - PAST_GRACE:
        raise PublishingError(_("This time lies in the past. Choose a later time."))
    return max(moment, now)


# --- queries ------------------------------------------------------------------


def approvals_needed(post: Post) -> int:
    return PublishingSettings.current().required_for(post.post_type)


def approvals_given(post: Post) -> int:
    return (
        post.reviews.filter(decision=Decision.APPROVE, post_version=post.version)
        .exclude(user=None)
        .exclude(user_id=post.author_id)
        .values("user")
        .distinct()
        .count()
    )


def is_approver(user: Any) -> bool:
    if not getattr(user, "is_active", False):
        return False
    roles = PublishingSettings.current().approver_roles or []
    return getattr(user, "role", None) in roles


def can_approve(post: Post, user: Any) -> bool:
    return (
        post.status == PostStatus.IN_REVIEW
        and is_approver(user)
        and user.pk != post.author_id
        and not post.reviews.filter(
            decision=Decision.APPROVE, post_version=post.version, user=user
        ).exists()
    )


def findings(post: Post, *, links: bool = False) -> list[Any]:
    """Return the pre-publish checks' findings (P2's checks.check_post)."""
    try:
        from leitstelle.publishing.checks import check_post
    except ImportError:  # the checks module is not there yet
        return []
    try:
        return list(check_post(post, links=links))
    except NotImplementedError:
        return []


def is_overridden(post: Post, finding: Any) -> bool:
    if not getattr(finding, "overridable", True):
        return False
    channel_id = getattr(finding, "channel_id", None)
    return post.overrides.filter(
        Q(channel_id=channel_id) | Q(channel__isnull=True),
        code=finding.code,
        post_version=post.version,
    ).exists()


def open_blockers(post: Post) -> list[Any]:
    return [
        finding
        for finding in findings(post, links=False)
        if getattr(finding, "severity", "") == "blocker"
        and not is_overridden(post, finding)
    ]


def campaigns(*, archived: bool = False) -> QuerySet[Campaign]:
    """Return the campaigns, the running ones only unless `archived`."""
    found = Campaign.objects.order_by("name")
    return found if archived else found.filter(archived=False)


def publications_of_campaign(campaign_id: int) -> QuerySet[Publication]:
    """Return every publication of the campaign's posts (with a remote id)."""
    return Publication.objects.filter(variant__post__campaign_id=campaign_id).exclude(
        remote_id=""
    )


def published_as(*, channel_id: int, remote_id: str) -> Publication | None:
    """Return our publication that has `remote_id` on the channel's network.

    The inbox shows the post a comment answers with it; a thread is known
    by its first part, the root every reply in it points to.
    """
    if not remote_id:
        return None
    return (
        Publication.objects.filter(channel_id=channel_id, remote_id=remote_id)
        .select_related("variant__post")
        .order_by("-id")
        .first()
    )


def may_use_fast_lane(user: Any) -> bool:
    """Return whether `user` may publish without approvals.

    The hook for crisis mode: until incident leads exist (a later issue),
    administrators only.
    """
    return bool(getattr(user, "is_active", False)) and (
        getattr(user, "role", None) == Role.ADMIN
        or bool(getattr(user, "is_incident_lead", False))
    )


# --- helpers ------------------------------------------------------------------


def _lock(post: Post) -> Post:
    """Re-read `post` under a row lock (inside the caller's transaction)."""
    fresh = Post.objects.select_for_update().get(pk=post.pk)
    for field in Post._meta.concrete_fields:
        setattr(post, field.attname, getattr(fresh, field.attname))
    return post


def _audit(
    action: str,
    *,
    actor: User | None,
    post: Post | Any,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> None:
    record_event(
        action=f"publishing.{action}",
        actor=actor,
        target=post,
        details=details or {},
        request=request,
    )


def _bump(post: Post) -> None:
    post.version += 1


def _started(post: Post) -> bool:
    """Return whether any publication of `post` was tried or went out."""
    return (
        Publication.objects.filter(variant__post=post)
        .exclude(state=PublicationState.RETRACTED)
        .exclude(state=PublicationState.PENDING, attempts=0)
        .exists()
    )


def _require_editable(post: Post) -> None:
    """Refuse content changes once the post has (started to) go out."""
    if post.status in EDITABLE:
        return
    if post.status == PostStatus.SCHEDULED and not _started(post):
        return
    raise WrongState(
        _("This post has already gone out. Edit it as a published post instead.")
    )


def _after_content_change(post: Post, actor: User | None, request: Any) -> None:
    """Bump the version; an approved or scheduled post goes back to review.

    A scheduled post keeps its time: it goes out then once approved again.
    """
    _bump(post)
    if post.status in {PostStatus.APPROVED, PostStatus.SCHEDULED}:
        if post.status == PostStatus.SCHEDULED:
            _pending(post).delete()
        post.status = PostStatus.IN_REVIEW
        post.approved_at = None
        _audit(
            "post_back_to_review",
            actor=actor,
            post=post,
            details={"version": post.version},
            request=request,
        )


def _enqueue_dispatch(eta: datetime | None = None) -> None:
    def run() -> None:
        from leitstelle.publishing import tasks

        try:
            if eta is not None and eta > timezone.now():
                tasks.dispatch_soon.schedule(eta=eta)
            else:
                tasks.dispatch_soon()
        except Exception:  # the sweep catches it within a minute
            logger.exception("could not queue the publishing dispatcher")

    transaction.on_commit(run)


# --- writing posts ------------------------------------------------------------


def derive_variants(
    *, post: Post, channels: Iterable[Channel], actor: User | None = None
) -> list[Variant]:
    """Make one variant per channel; drop the others; follow the master text."""
    chosen = {channel.pk: channel for channel in channels}
    with transaction.atomic():
        post.variants.exclude(channel_id__in=chosen).delete()
        existing = {v.channel_id: v for v in post.variants.all()}
        for channel_id, channel in chosen.items():
            variant = existing.get(channel_id)
            if variant is None:
                existing[channel_id] = Variant.objects.create(
                    post=post, channel=channel, text=post.master_text
                )
            elif not variant.customised and (
                variant.text != post.master_text or variant.parts
            ):
                variant.text = post.master_text
                variant.parts = []
                variant.save(update_fields=["text", "parts"])
    return list(post.variants.select_related("channel"))


def create_post(
    *,
    author: User,
    master_text: str = "",
    title: str = "",
    post_type: str = PostType.REPORT,
    labels: Iterable[str] = (),
    campaign: Campaign | None = None,
    channels: Iterable[Channel] = (),
    request: HttpRequest | None = None,
) -> Post:
    with transaction.atomic():
        post = Post.objects.create(
            author=author,
            master_text=master_text,
            title=title.strip(),
            post_type=post_type,
            labels=_clean_labels(labels),
            campaign=campaign,
        )
        variants = derive_variants(post=post, channels=channels, actor=author)
        _audit(
            "post_created",
            actor=author,
            post=post,
            details={
                "type": post.post_type,
                "channels": [v.channel_id for v in variants],
            },
            request=request,
        )
    return post


def _clean_labels(labels: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for label in labels:
        text = str(label).strip()[:50]
        if text and text not in seen:
            seen.append(text)
    return seen


def update_post(
    *,
    post: Post,
    actor: User,
    title: Any = UNSET,
    master_text: Any = UNSET,
    post_type: Any = UNSET,
    labels: Any = UNSET,
    campaign: Any = UNSET,
    channels: Any = UNSET,
    request: HttpRequest | None = None,
) -> Post:
    """Change what is given; a content change sends an approved post to review."""
    with transaction.atomic():
        _lock(post)
        changes: dict[str, Any] = {}
        content = False
        if title is not UNSET and title.strip() != post.title:
            changes["title"] = {"before": post.title, "after": title.strip()}
            post.title = title.strip()
        if labels is not UNSET and _clean_labels(labels) != post.labels:
            changes["labels"] = {"before": post.labels, "after": _clean_labels(labels)}
            post.labels = _clean_labels(labels)
        if campaign is not UNSET and (campaign.pk if campaign else None) != (
            post.campaign_id
        ):
            changes["campaign"] = {
                "before": post.campaign_id,
                "after": campaign.pk if campaign else None,
            }
            post.campaign = campaign
        if master_text is not UNSET and master_text != post.master_text:
            changes["text"] = True
            post.master_text = master_text
            content = True
        if post_type is not UNSET and post_type != post.post_type:
            changes["type"] = {"before": post.post_type, "after": post_type}
            post.post_type = post_type
            content = True
        before = set(post.variants.values_list("channel_id", flat=True))
        chosen = list(channels) if channels is not UNSET else None
        if chosen is not None and {c.pk for c in chosen} != before:
            after = sorted(c.pk for c in chosen)
            changes["channels"] = {"before": sorted(before), "after": after}
            content = True
        if content:
            _require_editable(post)
        if chosen is not None:
            derive_variants(post=post, channels=chosen, actor=actor)
        elif "text" in changes:
            derive_variants(
                post=post,
                channels=Channel.objects.filter(pk__in=before),
                actor=actor,
            )
        if not changes:
            return post
        if content:
            _after_content_change(post, actor, request)
        post.save()
        _audit(
            "post_updated",
            actor=actor,
            post=post,
            details={**changes, "version": post.version},
            request=request,
        )
    return post


def set_variant_text(
    *,
    variant: Variant,
    actor: User,
    text: str,
    parts: Sequence[str] | None = None,
    request: HttpRequest | None = None,
) -> Variant:
    """Adapt the text for one channel; `parts` splits it into a thread."""
    clean_parts = [str(p) for p in parts or [] if str(p).strip()]
    with transaction.atomic():
        post = _lock(variant.post)
        _require_editable(post)
        if variant.text == text and variant.parts == clean_parts:
            return variant
        variant.text = text
        variant.parts = clean_parts
        variant.customised = True
        variant.save(update_fields=["text", "parts", "customised"])
        _after_content_change(post, actor, request)
        post.save()
        _audit(
            "variant_changed",
            actor=actor,
            post=post,
            details={
                "channel": variant.channel_id,
                "parts": len(clean_parts),
                "version": post.version,
            },
            request=request,
        )
    return variant


def reset_variant(
    *, variant: Variant, actor: User, request: HttpRequest | None = None
) -> Variant:
    """Let the variant follow the master text again."""
    with transaction.atomic():
        post = _lock(variant.post)
        _require_editable(post)
        if not variant.customised:
            return variant
        variant.text = post.master_text
        variant.parts = []
        variant.customised = False
        variant.save(update_fields=["text", "parts", "customised"])
        _after_content_change(post, actor, request)
        post.save()
        _audit(
            "variant_changed",
            actor=actor,
            post=post,
            details={"channel": variant.channel_id, "reset": True},
            request=request,
        )
    return variant


def _guess_kind(mime: str) -> str:
    if mime.startswith("video/"):
        return MediaKind.VIDEO
    if mime in {"text/vtt", "application/x-subrip", "text/srt"} or mime.startswith(
        "text/"
    ):
        return MediaKind.CAPTIONS
    return MediaKind.IMAGE


def _image_size(file: File) -> tuple[int | None, int | None]:
    from PIL import Image, UnidentifiedImageError

    try:
        file.seek(0)
        with Image.open(file) as image:
            size = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None, None
    finally:
        with contextlib.suppress(Exception):
            file.seek(0)
    return size


def add_media(
    *,
    post: Post,
    actor: User,
    file: File,
    alt_text: str = "",
    kind: str | None = None,
    captions_for: MediaAsset | None = None,
    request: HttpRequest | None = None,
) -> MediaAsset:
    """Attach an uploaded image, video or captions file to the post."""
    name = getattr(file, "name", "") or "upload"
    mime = getattr(file, "content_type", "") or ""
    if not mime:
        import mimetypes

        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    kind = kind or (MediaKind.CAPTIONS if captions_for else _guess_kind(mime))
    width = height = None
    if kind == MediaKind.IMAGE:
        width, height = _image_size(file)
    with transaction.atomic():
        _lock(post)
        _require_editable(post)
        last = post.media.order_by("-position").first()
        asset = MediaAsset(
            post=post,
            kind=kind,
            captions_for=captions_for,
            alt_text=alt_text.strip(),
            mime_type=mime,
            size=getattr(file, "size", None) or 0,
            width=width,
            height=height,
            original_name=name.rsplit("/", 1)[-1][:255],
            position=(last.position + 1) if last else 0,
        )
        asset.file.save(name, file, save=False)
        asset.save()
        _after_content_change(post, actor, request)
        post.save()
        _audit(
            "media_added",
            actor=actor,
            post=post,
            details={"media": asset.pk, "kind": kind, "mime": mime, "size": asset.size},
            request=request,
        )
    return asset


def set_alt_text(
    *,
    asset: MediaAsset,
    actor: User,
    alt_text: str,
    request: HttpRequest | None = None,
) -> MediaAsset:
    with transaction.atomic():
        post = _lock(asset.post)
        _require_editable(post)
        if asset.alt_text == alt_text.strip():
            return asset
        asset.alt_text = alt_text.strip()
        asset.save(update_fields=["alt_text"])
        _after_content_change(post, actor, request)
        post.save()
        _audit(
            "alt_text_changed",
            actor=actor,
            post=post,
            details={"media": asset.pk},
            request=request,
        )
    return asset


def remove_media(
    *, asset: MediaAsset, actor: User, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        post = _lock(asset.post)
        _require_editable(post)
        names = [asset.file.name] + [c.file.name for c in asset.captions.all()]
        storage = asset.file.storage
        details = {"media": asset.pk, "name": asset.original_name}
        asset.delete()
        _after_content_change(post, actor, request)
        post.save()
        _audit(
            "media_removed", actor=actor, post=post, details=details, request=request
        )
        transaction.on_commit(lambda: [storage.delete(n) for n in names if n])


# --- review -------------------------------------------------------------------


def _approved(post: Post, actor: User | None, request: Any) -> None:
    """Mark the post approved; send it out if a time was chosen before."""
    post.status = PostStatus.APPROVED
    post.approved_at = timezone.now()
    if post.scheduled_at is not None:
        _create_publications(post, due=max(post.scheduled_at, timezone.now()))


def submit_for_review(
    *, post: Post, actor: User, request: HttpRequest | None = None
) -> Post:
    with transaction.atomic():
        _lock(post)
        if post.status != PostStatus.DRAFT:
            raise WrongState(_("Only a draft can be submitted for review."))
        if not post.variants.exists():
            raise PublishingError(_("Choose at least one channel first."))
        post.status = PostStatus.IN_REVIEW
        post.submitted_at = timezone.now()
        needed = approvals_needed(post)
        _audit(
            "post_submitted",
            actor=actor,
            post=post,
            details={"version": post.version, "approvals_needed": needed},
            request=request,
        )
        if needed == 0 and not open_blockers(post):
            _approved(post, actor, request)
            _audit(
                "post_approved",
                actor=actor,
                post=post,
                details={"version": post.version, "approvals_needed": 0},
                request=request,
            )
        post.save()
    return post


def approve(
    *, post: Post, actor: User, text: str = "", request: HttpRequest | None = None
) -> Post:
    with transaction.atomic():
        _lock(post)
        if post.status != PostStatus.IN_REVIEW:
            raise WrongState(_("Only a post in review can be approved."))
        if actor.pk == post.author_id:
            raise NotAllowed(_("You cannot approve your own post."))
        if not is_approver(actor):
            raise NotAllowed(_("Your role may not approve posts."))
        if post.reviews.filter(
            decision=Decision.APPROVE, post_version=post.version, user=actor
        ).exists():
            raise NotAllowed(_("You have already approved this version."))
        blockers = open_blockers(post)
        if blockers:
            raise Blocked(
                _("Resolve or override the blockers before approving."),
                findings=blockers,
            )
        Review.objects.create(
            post=post,
            user=actor,
            decision=Decision.APPROVE,
            text=text.strip(),
            post_version=post.version,
        )
        given, needed = approvals_given(post), approvals_needed(post)
        if given >= needed:
            _approved(post, actor, request)
        post.save()
        _audit(
            "post_approved",
            actor=actor,
            post=post,
            details={
                "version": post.version,
                "approvals": given,
                "approvals_needed": needed,
                "comment": text.strip(),
            },
            request=request,
        )
    return post


def send_back(
    *, post: Post, actor: User, text: str, request: HttpRequest | None = None
) -> Post:
    if not text.strip():
        raise PublishingError(_("Say what needs to change."))
    with transaction.atomic():
        _lock(post)
        if post.status not in {PostStatus.IN_REVIEW, PostStatus.APPROVED}:
            raise WrongState(_("Only a post in review can be sent back."))
        if not is_approver(actor):
            raise NotAllowed(_("Your role may not review posts."))
        Review.objects.create(
            post=post,
            user=actor,
            decision=Decision.SEND_BACK,
            text=text.strip(),
            post_version=post.version,
        )
        post.status = PostStatus.DRAFT
        post.approved_at = None
        post.save()
        _audit(
            "post_sent_back",
            actor=actor,
            post=post,
            details={"version": post.version, "comment": text.strip()},
            request=request,
        )
    return post


def comment(
    *, post: Post, actor: User, text: str, request: HttpRequest | None = None
) -> Review:
    if not text.strip():
        raise PublishingError(_("Write a comment first."))
    with transaction.atomic():
        review = Review.objects.create(
            post=post,
            user=actor,
            decision=Decision.COMMENT,
            text=text.strip(),
            post_version=post.version,
        )
        _audit(
            "post_commented",
            actor=actor,
            post=post,
            details={"version": post.version, "comment": text.strip()},
            request=request,
        )
    return review


def override_check(
    *,
    post: Post,
    actor: User,
    code: str,
    reason: str,
    channel: Channel | None = None,
    request: HttpRequest | None = None,
) -> CheckOverride:
    if not is_approver(actor):
        raise NotAllowed(_("Only approvers may override a check."))
    if not reason.strip():
        raise PublishingError(_("Give a reason for the override."))
    fixed = [
        f
        for f in findings(post)
        if f.code == code and not getattr(f, "overridable", True)
    ]
    if fixed:
        raise NotAllowed(_("This check cannot be overridden: fix it instead."))
    with transaction.atomic():
        _lock(post)
        override = CheckOverride.objects.create(
            post=post,
            code=code,
            channel=channel,
            reason=reason.strip(),
            user=actor,
            post_version=post.version,
        )
        _audit(
            "check_overridden",
            actor=actor,
            post=post,
            details={
                "code": code,
                "channel": channel.pk if channel else None,
                "reason": reason.strip(),
                "version": post.version,
            },
            request=request,
        )
    return override


# --- going out ----------------------------------------------------------------


def _create_publications(post: Post, *, due: datetime) -> list[Publication]:
    """Turn every variant into a pending publication due at `due`."""
    rows = []
    for variant in post.variants.all():
        live = variant.publications.exclude(state=PublicationState.RETRACTED)
        if live.exists():
            continue
        rows.append(
            Publication(
                variant=variant,
                channel_id=variant.channel_id,
                due_at=due,
                next_attempt_at=due,
            )
        )
    Publication.objects.bulk_create(rows)
    now = timezone.now()
    post.status = PostStatus.SCHEDULED if due > now else PostStatus.PUBLISHING
    post.scheduled_at = due
    _enqueue_dispatch(due)
    return rows


def _require_publishable(post: Post) -> None:
    blockers = open_blockers(post)
    if blockers:
        raise Blocked(
            _("Resolve or override the blockers before publishing."),
            findings=blockers,
        )


def schedule(
    *, post: Post, actor: User, at: datetime | date, request: HttpRequest | None = None
) -> Post:
    """Publish at `at` (naive = Berlin time); before approval, remember it."""
    now = timezone.now()
    moment = _future(at, now)
    with transaction.atomic():
        _lock(post)
        if post.status == PostStatus.SCHEDULED:
            return _move(post, actor, moment, request)
        if post.status in {PostStatus.DRAFT, PostStatus.IN_REVIEW}:
            post.scheduled_at = moment
        elif post.status == PostStatus.APPROVED:
            _require_publishable(post)
            _create_publications(post, due=moment)
        else:
            raise WrongState(_("This post has already gone out."))
        post.save()
        _audit(
            "post_scheduled",
            actor=actor,
            post=post,
            details={"at": moment, "status": post.status},
            request=request,
        )
    return post


def publish_now(*, post: Post, actor: User, request: HttpRequest | None = None) -> Post:
    now = timezone.now()
    with transaction.atomic():
        _lock(post)
        if post.status == PostStatus.APPROVED:
            _require_publishable(post)
            _create_publications(post, due=now)
        elif post.status == PostStatus.SCHEDULED:
            _pending(post).update(due_at=now, next_attempt_at=now)
            post.scheduled_at = now
            post.status = PostStatus.PUBLISHING
            _enqueue_dispatch(None)
        else:
            raise WrongState(_("Only an approved post can be published."))
        post.save()
        _audit("publish_now", actor=actor, post=post, request=request)
    return post


def _pending(post: Post) -> Any:
    return Publication.objects.filter(
        variant__post=post, state=PublicationState.PENDING, attempts=0
    )


def _move(post: Post, actor: User, moment: datetime, request: Any) -> Post:
    before = post.scheduled_at
    started = Publication.objects.filter(variant__post=post).exclude(
        state=PublicationState.PENDING, attempts=0
    )
    if started.exclude(state=PublicationState.RETRACTED).exists():
        raise WrongState(_("This post has started going out; it cannot be moved."))
    _pending(post).update(due_at=moment, next_attempt_at=moment)
    post.scheduled_at = moment
    post.save()
    _enqueue_dispatch(moment)
    _audit(
        "post_rescheduled",
        actor=actor,
        post=post,
        details={"before": before, "after": moment},
        request=request,
    )
    return post


def reschedule(
    *, post: Post, actor: User, at: datetime | date, request: HttpRequest | None = None
) -> Post:
    """Move the post to another time (drag and drop in the calendar)."""
    moment = _future(at, timezone.now())
    with transaction.atomic():
        _lock(post)
        if post.status == PostStatus.SCHEDULED:
            return _move(post, actor, moment, request)
        if post.status in EDITABLE:
            before = post.scheduled_at
            if post.status == PostStatus.APPROVED:
                _require_publishable(post)
                _create_publications(post, due=moment)
            post.scheduled_at = moment
            post.save()
            _audit(
                "post_rescheduled",
                actor=actor,
                post=post,
                details={"before": before, "after": moment},
                request=request,
            )
            return post
        raise WrongState(_("This post has already gone out."))


def unschedule(*, post: Post, actor: User, request: HttpRequest | None = None) -> Post:
    with transaction.atomic():
        _lock(post)
        if post.status != PostStatus.SCHEDULED:
            raise WrongState(_("This post is not scheduled."))
        started = Publication.objects.filter(variant__post=post).exclude(
            state=PublicationState.PENDING, attempts=0
        )
        if started.exclude(state=PublicationState.RETRACTED).exists():
            raise WrongState(_("This post has started going out."))
        _pending(post).delete()
        before = post.scheduled_at
        post.status = PostStatus.APPROVED
        post.scheduled_at = None
        post.save()
        _audit(
            "post_unscheduled",
            actor=actor,
            post=post,
            details={"before": before},
            request=request,
        )
    return post


def retry_publication(
    *, publication: Publication, actor: User, request: HttpRequest | None = None
) -> Publication:
    now = timezone.now()
    with transaction.atomic():
        row = Publication.objects.select_for_update().get(pk=publication.pk)
        if row.state != PublicationState.FAILED:
            raise WrongState(_("Only a failed publication can be tried again."))
        row.state = PublicationState.PENDING
        row.next_attempt_at = now
        row.attempts = 0 if not row.outcome_unknown else row.attempts
        row.error = ""
        row.save()
        post = _lock(row.variant.post)
        refresh_post_status(post)
        _audit(
            "publication_retried",
            actor=actor,
            post=post,
            details={"publication": row.pk, "channel": row.channel_id},
            request=request,
        )
        _enqueue_dispatch(None)
    publication.refresh_from_db()
    return publication


def refresh_post_status(post: Post) -> Post:
    """Derive the post's status from its publications (dispatcher, retries)."""
    states = list(
        Publication.objects.filter(variant__post=post).values_list("state", flat=True)
    )
    live = [s for s in states if s != PublicationState.RETRACTED]
    if not states:
        return post
    if not live:
        status = PostStatus.RETRACTED
    elif any(s in {PublicationState.PENDING, PublicationState.SENDING} for s in live):
        status = (
            PostStatus.SCHEDULED
            if post.scheduled_at and post.scheduled_at > timezone.now()
            else PostStatus.PUBLISHING
        )
    elif all(s == PublicationState.PUBLISHED for s in live):
        status = PostStatus.PUBLISHED
    elif all(s == PublicationState.FAILED for s in live):
        status = PostStatus.FAILED
    else:
        status = PostStatus.PARTLY_FAILED
    fields = []
    if status != post.status:
        post.status = status
        fields.append("status")
    if status == PostStatus.PUBLISHED and post.published_at is None:
        post.published_at = timezone.now()
        fields.append("published_at")
    if fields:
        Post.objects.filter(pk=post.pk).update(**{f: getattr(post, f) for f in fields})
    return post


# --- published posts ----------------------------------------------------------


def outgoing(variant: Variant, text: str, key: str, reply_to: str | None = None) -> Any:
    """Build what a connector sends for one part of a variant."""
    from leitstelle.publishing.dispatcher import media_for

    return OutgoingPost(
        text=text,
        media=media_for(variant) if reply_to is None else (),
        reply_to=reply_to,
        idempotency_key=key,
    )


def _connector(channel: Channel) -> Connector:
    from leitstelle.publishing.dispatcher import connector_for

    return connector_for(channel)


def may_change_published(post: Post, user: Any) -> bool:
    """Return whether `user` may correct or delete `post` where it went out.

    Only approvers when the type needs approval, and only who sees every
    channel the post is live on; the page hides the buttons otherwise.
    """
    if approvals_needed(post) > 0 and not is_approver(user):
        return False
    live = Publication.objects.filter(variant__post=post).exclude(
        state=PublicationState.RETRACTED
    )
    return not _hidden_from(user, set(live.values_list("channel_id", flat=True)))


def _require_editor_of_published(post: Post, actor: User) -> None:
    if approvals_needed(post) > 0 and not is_approver(actor):
        raise NotAllowed(_("Only approvers may change or delete a published post."))


def _retract_remote(publication: Publication, connector: Connector) -> None:
    ids = list(publication.remote_ids) or (
        [publication.remote_id] if publication.remote_id else []
    )
    for remote_id in reversed(ids):
        connector.delete(remote_id)


def edit_published(
    *,
    post: Post,
    actor: User,
    master_text: str | None = None,
    texts: dict[int, str] | None = None,
    request: HttpRequest | None = None,
) -> list[Outcome]:
    """Change a published post everywhere: edit in place or delete and repost."""
    _require_editor_of_published(post, actor)
    texts = dict(texts or {})
    outcomes: list[Outcome] = []
    with transaction.atomic():
        _lock(post)
        if post.status not in {PostStatus.PUBLISHED, PostStatus.PARTLY_FAILED}:
            raise WrongState(_("Only a published post can be edited this way."))
        if master_text is not None and master_text != post.master_text:
            post.master_text = master_text
            for variant in post.variants.filter(customised=False):
                texts.setdefault(variant.channel_id, master_text)
        # Never change the post on a channel the actor cannot see.
        published = Publication.objects.filter(
            variant__post=post, state=PublicationState.PUBLISHED
        ).values_list("channel_id", flat=True)
        if _hidden_from(actor, set(published) & set(texts)):
            raise NotAllowed(
                _(
                    "This post also went out on channels you cannot see. "
                    "Ask an administrator to correct it everywhere."
                )
            )
        post.version += 1
        post.save()
    rows = Publication.objects.filter(
        variant__post=post, state=PublicationState.PUBLISHED
    ).select_related("variant", "channel")
    for publication in rows:
        variant = publication.variant
        new_text = texts.get(variant.channel_id)
        if new_text is None or (new_text == variant.text and not variant.parts):
            continue
        connector = _connector(publication.channel)
        try:
            if connector.capabilities.edit and not variant.parts:
                remote = connector.edit(
                    publication.remote_id,
                    outgoing(variant, new_text, publication.idempotency_key),
                )
                with transaction.atomic():
                    Variant.objects.filter(pk=variant.pk).update(
                        text=new_text, customised=True
                    )
                    Publication.objects.filter(pk=publication.pk).update(
                        url=remote.url or publication.url
                    )
                outcomes.append(Outcome(publication, True, _("Edited")))
            else:
                _retract_remote(publication, connector)
                with transaction.atomic():
                    now = timezone.now()
                    Publication.objects.filter(pk=publication.pk).update(
                        state=PublicationState.RETRACTED, retracted_at=now
                    )
                    Variant.objects.filter(pk=variant.pk).update(
                        text=new_text, parts=[], customised=True
                    )
                    Publication.objects.create(
                        variant=variant,
                        channel=publication.channel,
                        due_at=now,
                        next_attempt_at=now,
                    )
                outcomes.append(Outcome(publication, True, _("Deleted and reposted")))
        except ConnectorError as exc:
            outcomes.append(Outcome(publication, False, exc.message))
    # Channels where it has not gone out (failed, waiting): a retry sends
    # the new text.
    published = {publication.channel_id for publication in rows}
    for channel_id, new_text in texts.items():
        if channel_id not in published:
            Variant.objects.filter(post=post, channel_id=channel_id).update(
                text=new_text, parts=[], customised=True
            )
    with transaction.atomic():
        refresh_post_status(_lock(post))
        _audit(
            "post_edited_published",
            actor=actor,
            post=post,
            details={
                "version": post.version,
                "channels": {
                    str(o.publication.channel_id): o.message if not o.ok else "ok"
                    for o in outcomes
                },
            },
            request=request,
        )
    if any(o.ok and o.message == _("Deleted and reposted") for o in outcomes):
        _enqueue_dispatch(None)
    return outcomes


def _hidden_from(actor: User, channel_ids: set[int]) -> set[int]:
    """Return which of `channel_ids` `actor` cannot see (admins see all)."""
    visible = Channel.objects.visible_to(actor).filter(pk__in=channel_ids)
    return channel_ids - set(visible.values_list("pk", flat=True))


def delete_everywhere(
    *, post: Post, actor: User, request: HttpRequest | None = None
) -> list[Outcome]:
    """Delete the post on every network it went out to; audited."""
    _require_editor_of_published(post, actor)
    outcomes: list[Outcome] = []
    with transaction.atomic():
        _lock(post)
        if post.status not in OUT:
            raise WrongState(_("This post has not gone out."))
        rows = list(
            Publication.objects.select_for_update()
            .filter(variant__post=post)
            .exclude(state=PublicationState.RETRACTED)
        )
        if any(r.state == PublicationState.SENDING for r in rows):
            raise WrongState(
                _("The post is being sent right now. Try again in a minute.")
            )
        # Never delete on a channel the actor cannot see (admins see all).
        if _hidden_from(actor, {r.channel_id for r in rows}):
            raise NotAllowed(
                _(
                    "This post also went out on channels you cannot see. "
                    "Ask an administrator to delete it everywhere."
                )
            )
        now = timezone.now()
        # Rows with nothing on the network; a thread that failed half-way
        # has parts out (remote_ids) that must be deleted too.
        unsent = [
            r.pk
            for r in rows
            if r.state != PublicationState.PUBLISHED and not r.remote_ids
        ]
        Publication.objects.filter(pk__in=unsent).update(
            state=PublicationState.RETRACTED, retracted_at=now, error=""
        )
        outcomes += [Outcome(r, True, _("Not sent")) for r in rows if r.pk in unsent]
    for publication in [r for r in rows if r.pk not in unsent]:
        try:
            _retract_remote(publication, _connector(publication.channel))
        except ConnectorError as exc:
            outcomes.append(Outcome(publication, False, exc.message))
            continue
        Publication.objects.filter(pk=publication.pk).update(
            state=PublicationState.RETRACTED, retracted_at=timezone.now()
        )
        outcomes.append(Outcome(publication, True, _("Deleted")))
    with transaction.atomic():
        refresh_post_status(_lock(post))
        _audit(
            "post_deleted_everywhere",
            actor=actor,
            post=post,
            details={
                "channels": {
                    str(o.publication.channel_id): "ok" if o.ok else o.message
                    for o in outcomes
                }
            },
            request=request,
        )
    return outcomes


def fast_lane_publish(
    *, post: Post, actor: User, reason: str, request: HttpRequest | None = None
) -> Post:
    """Publish without approvals in a crisis; the checks still apply."""
    if not may_use_fast_lane(actor):
        raise NotAllowed(_("Only an incident lead may use the fast lane."))
    if not reason.strip():
        raise PublishingError(_("Give a reason for using the fast lane."))
    with transaction.atomic():
        _lock(post)
        if post.status not in EDITABLE:
            raise WrongState(_("This post has already gone out or is scheduled."))
        if not post.variants.exists():
            raise PublishingError(_("Choose at least one channel first."))
        _require_publishable(post)
        post.fast_lane = True
        post.status = PostStatus.APPROVED
        post.approved_at = timezone.now()
        _create_publications(post, due=timezone.now())
        post.save()
        _audit(
            "fast_lane",
            actor=actor,
            post=post,
            details={"reason": reason.strip(), "version": post.version},
            request=request,
        )
    return post


# --- the organisation's rules ---------------------------------------------------


def update_settings(
    *,
    actor: User,
    approvals_required: dict[str, int] | None = None,
    approver_roles: Iterable[str] | None = None,
    watch_words: Iterable[str] | None = None,
    request: HttpRequest | None = None,
) -> PublishingSettings:
    """Change how many approvals each post type needs, who approves, the watch list.

    Only administrators; roles must be known and approvals 0, 1 or 2.
    """
    if getattr(actor, "role", None) != Role.ADMIN:
        raise NotAllowed(_("Only administrators may change the publishing rules."))
    with transaction.atomic():
        rules = PublishingSettings.objects.select_for_update().get_or_create(pk=1)[0]
        changes: dict[str, Any] = {}
        if approvals_required is not None:
            clean = {}
            for post_type, count in approvals_required.items():
                if post_type not in PostType.values or int(count) not in {0, 1, 2}:
                    raise PublishingError(
                        _("Each post type needs 0, 1 or 2 approvals.")
                    )
                clean[post_type] = int(count)
            merged = {**rules.approvals_required, **clean}
            if merged != rules.approvals_required:
                changes["approvals_required"] = {
                    "before": rules.approvals_required,
                    "after": merged,
                }
                rules.approvals_required = merged
        if approver_roles is not None:
            roles = sorted(set(approver_roles))
            if not roles or any(role not in Role.values for role in roles):
                raise PublishingError(_("Choose at least one known role."))
            if roles != sorted(rules.approver_roles):
                changes["approver_roles"] = {
                    "before": rules.approver_roles,
                    "after": roles,
                }
                rules.approver_roles = roles
        if watch_words is not None:
            words = []
            for word in watch_words:
                text = str(word).strip()
                if text and text.casefold() not in {w.casefold() for w in words}:
                    words.append(text[:100])
            if words != rules.watch_words:
                changes["watch_words"] = {"before": rules.watch_words, "after": words}
                rules.watch_words = words
        if changes:
            rules.save()
            record_event(
                action="publishing.settings_changed",
                actor=actor,
                target=rules,
                details=changes,
                request=request,
            )
    return rules
