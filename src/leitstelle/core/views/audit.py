"""The audit log: a filtered, paged view and a CSV export.

There is no way to change or delete an entry, here or anywhere else.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core import services
from leitstelle.core.audit import record_event
from leitstelle.core.forms.admin import AuditFilterForm
from leitstelle.core.models import AuditEvent
from leitstelle.core.permissions import Perm, has_perm, require_perm

EVENTS_PER_PAGE = 50
EXPORT_BATCH = 1000
LIST = "core/audit/list.html"
CSV_HEADER = [
    "sequence",
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object_label",
    "details",
    "address",
    "prev_hash",
    "hash",
]
# A spreadsheet runs cells starting with these as formulas.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

ACTION_LABELS = {
    "user.login": gettext_lazy("Logged in"),
    "user.login_failed": gettext_lazy("Login failed"),
    "user.locked_out": gettext_lazy("Login locked"),
    "user.logout": gettext_lazy("Logged out"),
    "user.logout_everywhere": gettext_lazy("Logged out everywhere"),
    "user.password_confirmation_failed": gettext_lazy("Password confirmation failed"),
    "user.two_factor_enabled": gettext_lazy("Set up a second factor"),
    "user.two_factor_disabled": gettext_lazy("Turned off a second factor"),
    "user.two_factor_reset": gettext_lazy("Reset a second factor"),
    "user.invited": gettext_lazy("Invited someone"),
    "user.invitation_revoked": gettext_lazy("Revoked an invitation"),
    "user.invitation_accepted": gettext_lazy("Accepted an invitation"),
    "user.created": gettext_lazy("Created a user"),
    "user.updated": gettext_lazy("Changed a user"),
    "user.role_changed": gettext_lazy("Changed a role"),
    "user.deactivated": gettext_lazy("Deactivated a user"),
    "user.activated": gettext_lazy("Activated a user"),
    "organisation.updated": gettext_lazy("Changed the organisation"),
    "organisation.logo_changed": gettext_lazy("Changed the logo"),
    "organisation.logo_removed": gettext_lazy("Removed the logo"),
    "unit.created": gettext_lazy("Added a unit"),
    "unit.renamed": gettext_lazy("Renamed a unit"),
    "unit.deleted": gettext_lazy("Deleted a unit"),
    "api_token.created": gettext_lazy("Created an API token"),
    "api_token.revoked": gettext_lazy("Revoked an API token"),
    "audit.exported": gettext_lazy("Exported the audit log"),
    "channel.connected": gettext_lazy("Connected a channel"),
    "channel.disconnected": gettext_lazy("Disconnected a channel"),
    "channel.reauthorised": gettext_lazy("Renewed a channel's access"),
    "channel.paused": gettext_lazy("Paused a channel"),
    "channel.resumed": gettext_lazy("Resumed a channel"),
    "channel.access_changed": gettext_lazy("Changed who may use a channel"),
    "channel.needs_reauth": gettext_lazy("Channel needs re-authorisation"),
    "channels.keys_rotated": gettext_lazy("Re-encrypted the channels' credentials"),
    "channel.webhook_configured": gettext_lazy("Changed a channel's webhook"),
    "channel.webhook_registered": gettext_lazy("Set a channel's webhook"),
    "channel.webhook_removed": gettext_lazy("Removed a channel's webhook"),
    "inbox.quarantine_dismissed": gettext_lazy("Dismissed a quarantined payload"),
    "inbox.quarantine_retried": gettext_lazy("Read a quarantined payload again"),
    "inbox.raw_purged": gettext_lazy("Blanked old raw payloads"),
    "mastodon.app_registered": gettext_lazy(
        "Registered Leitstelle on a Mastodon server"
    ),
    "exercise.account_created": gettext_lazy("Created an exercise account"),
    "exercise.comment_posted": gettext_lazy("Posted a simulated comment"),
    "exercise.scenario_replayed": gettext_lazy("Replayed an exercise scenario"),
    "publishing.post_created": gettext_lazy("Created a post"),
    "publishing.post_updated": gettext_lazy("Changed a post"),
    "publishing.variant_changed": gettext_lazy("Adapted a post for a channel"),
    "publishing.media_added": gettext_lazy("Attached a file to a post"),
    "publishing.media_removed": gettext_lazy("Removed a file from a post"),
    "publishing.alt_text_changed": gettext_lazy("Changed an alt text"),
    "publishing.post_submitted": gettext_lazy("Submitted a post for review"),
    "publishing.post_approved": gettext_lazy("Approved a post"),
    "publishing.post_sent_back": gettext_lazy("Sent a post back"),
    "publishing.post_back_to_review": gettext_lazy("Post went back to review"),
    "publishing.post_commented": gettext_lazy("Commented on a post"),
    "publishing.check_overridden": gettext_lazy("Overrode a pre-publish check"),
    "publishing.post_scheduled": gettext_lazy("Scheduled a post"),
    "publishing.post_rescheduled": gettext_lazy("Moved a post to another time"),
    "publishing.post_unscheduled": gettext_lazy("Unscheduled a post"),
    "publishing.publish_now": gettext_lazy("Published a post now"),
    "publishing.post_went_out": gettext_lazy("Post went out"),
    "publishing.publication_failed": gettext_lazy("Post failed on a channel"),
    "publishing.publication_retried": gettext_lazy("Tried a failed post again"),
    "publishing.post_edited_published": gettext_lazy("Edited a published post"),
    "publishing.post_deleted_everywhere": gettext_lazy("Deleted a post everywhere"),
    "publishing.fast_lane": gettext_lazy("Published through the fast lane"),
    "publishing.campaign_created": gettext_lazy("Started a campaign"),
    "publishing.settings_changed": gettext_lazy("Changed the publishing rules"),
    "inbox.reply_queued": gettext_lazy("Wrote a reply"),
    "inbox.reply_sent": gettext_lazy("Sent a reply"),
    "inbox.reply_failed": gettext_lazy("A reply could not be sent"),
    "inbox.reply_retried": gettext_lazy("Sent a reply again"),
    "inbox.hidden": gettext_lazy("Hid an item"),
    "inbox.unhidden": gettext_lazy("Showed a hidden item again"),
    "inbox.deleted": gettext_lazy("Deleted an item on the network"),
    "inbox.author_blocked": gettext_lazy("Blocked an author"),
    "inbox.author_muted": gettext_lazy("Muted an author"),
    "inbox.moderation_failed": gettext_lazy("Moderation failed"),
    "inbox.saved_reply_created": gettext_lazy("Added a saved reply"),
    "inbox.saved_reply_changed": gettext_lazy("Changed a saved reply"),
    "inbox.saved_reply_deleted": gettext_lazy("Deleted a saved reply"),
    "inbox.status_changed": gettext_lazy("Changed the status of an item"),
    "inbox.assigned": gettext_lazy("Assigned an item"),
    "inbox.unassigned": gettext_lazy("Removed an item's assignment"),
    "inbox.priority_changed": gettext_lazy("Changed the priority of an item"),
    "inbox.tagged": gettext_lazy("Tagged an item"),
    "inbox.untagged": gettext_lazy("Removed a tag from an item"),
    "inbox.settings_changed": gettext_lazy("Changed the inbox settings"),
    "inbox.view_saved": gettext_lazy("Saved an inbox view"),
    "inbox.view_deleted": gettext_lazy("Deleted an inbox view"),
}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass(frozen=True)
class KeysetPage:
    """One page of entries, with the keys of the pages around it."""

    events: list[AuditEvent]
    older_before: int | None
    newer_after: int | None


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    action_label: str
    object_type_label: str
    details_text: str


def keyset_page(
    events: QuerySet[AuditEvent],
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = EVENTS_PER_PAGE,
) -> KeysetPage:
    """Return the entries just below `before` or just above `after`.

    Keyset paging stays fast on millions of rows, where COUNT would not.
    """
    if after is not None:
        rows = list(events.filter(sequence__gt=after).order_by("sequence")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        bottom = rows[-1].sequence if rows else after + 1
        has_older = events.filter(sequence__lt=bottom).exists()
    else:
        below = events if before is None else events.filter(sequence__lt=before)
        rows = list(below.order_by("-sequence")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = before is not None and events.filter(sequence__gte=before).exists()
    return KeysetPage(
        events=rows,
        older_before=rows[-1].sequence if has_older and rows else None,
        newer_after=rows[0].sequence if has_newer and rows else None,
    )


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_type_label(object_type: str) -> str:
    """Return the model's readable name for a label like "core.user"."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)


def compact_value(value: Any) -> str:
    if isinstance(value, dict) and set(value) == {"before", "after"}:
        return f"{compact_value(value['before'])} → {compact_value(value['after'])}"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def compact_details(details: Any) -> str:
    """Return details as "key: value; …", before/after as "old → new"."""
    if not isinstance(details, dict):
        return compact_value(details)
    return "; ".join(f"{key}: {compact_value(value)}" for key, value in details.items())


def _filter_form(request: HttpRequest) -> AuditFilterForm:
    events = AuditEvent.objects.order_by()
    actions = events.order_by("action").values_list("action", flat=True).distinct()
    types = (
        events.exclude(object_type="")
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )
    return AuditFilterForm(
        request.GET,
        actions=sorted(((a, action_label(a)) for a in actions), key=lambda c: c[1]),
        object_types=[(t, object_type_label(t)) for t in types],
    )


def _filters(form: AuditFilterForm) -> dict[str, Any]:
    form.is_valid()
    return {key: value for key, value in form.cleaned_data.items() if value}


def _key(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_perm(Perm.VIEW_AUDIT)
@require_safe
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = _filter_form(request)
    page = keyset_page(
        services.filter_audit_events(**_filters(form)),
        before=_key(request.GET.get("before")),
        after=_key(request.GET.get("after")),
    )
    rows = [
        AuditRow(
            event=event,
            action_label=action_label(event.action),
            object_type_label=object_type_label(event.object_type),
            details_text=compact_details(event.details),
        )
        for event in page.events
    ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "can_export": has_perm(request.user, Perm.EXPORT_AUDIT),
    }
    response = render(request, f"{LIST}#results" if request.htmx else LIST, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def guard_cell(value: str) -> str:
    """Keep spreadsheets from running a cell as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def csv_row(event: AuditEvent) -> list[str | int]:
    details = json.dumps(event.details, ensure_ascii=False, sort_keys=True)
    cells = [
        event.created_at.astimezone(UTC).isoformat(),
        event.actor_label,
        event.action,
        event.object_type,
        event.object_id,
        event.object_label,
        details,
        event.address or "",
        event.prev_hash,
        event.hash,
    ]
    return [event.sequence, *(guard_cell(cell) for cell in cells)]


def iter_ascending(events: QuerySet[AuditEvent]) -> Iterator[AuditEvent]:
    """Yield entries oldest first, one query per batch."""
    last = 0
    while True:
        batch = list(
            events.filter(sequence__gt=last).order_by("sequence")[:EXPORT_BATCH]
        )
        yield from batch
        if len(batch) < EXPORT_BATCH:
            return
        last = batch[-1].sequence


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte order mark lets spreadsheet programs read umlauts as UTF-8.
    yield "\ufeff" + writer.writerow(CSV_HEADER)
    for event in iter_ascending(events):
        yield writer.writerow(csv_row(event))


@require_perm(Perm.EXPORT_AUDIT)
@require_safe
def audit_export(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    filters = _filters(form)
    if form.errors:
        messages.error(request, _("Correct the filters before exporting."))
        return redirect(reverse("core:audit") + "?" + request.GET.urlencode())
    export = record_event(
        action="audit.exported",
        actor=request.user,
        details={"filters": filters},
        request=request,
    )
    # Entries written while the file streams are left out: the export
    # ends with its own entry.
    events = services.filter_audit_events(**filters).filter(
        sequence__lte=export.sequence
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        csv_lines(events), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="leitstelle-audit-{stamp}.csv"'
    )
    return response
