"""Working items: one item's actions, bulk actions, saved views, settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.middleware import HtmxDetails

from leitstelle.core.audit import record_event
from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import queries, rendering, service_levels, workflow
from leitstelle.inbox.forms import InboxSettingsForm, SavedViewForm, view_query
from leitstelle.inbox.models import InboxSettings, Interaction, SavedView

ACTIONS = "inbox/_workflow_actions.html"
SETTINGS = "inbox/settings.html"
# A bulk action takes at most a few pages of items at once.
MAX_BULK = queries.PAGE_SIZE * 4
STATUS_ACTIONS = {"escalate": "escalated", "close": "closed", "reopen": "open"}


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def back(request: HttpRequest, fallback: str) -> HttpResponse:
    """Redirect to the form's `next` when it is ours, else to `fallback`."""
    target = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(target if safe and target else fallback)


def run_item_action(request: HttpRequest, item: Interaction) -> list[Interaction]:
    """Run the action posted for `item`; raise `WorkflowError` on bad input."""
    action, data = request.POST.get("action", ""), request.POST
    common: dict[str, Any] = {
        "interactions": [item],
        "actor": request.user,
        "request": request,
    }
    if action == "assign_me":
        return workflow.assign(assignee=request.user, **common)
    if action == "assign":
        return workflow.assign(
            assignee=workflow.user_or_none(data.get("assignee", "")), **common
        )
    if action in STATUS_ACTIONS:
        return workflow.set_status(status=STATUS_ACTIONS[action], **common)
    if action == "status":
        return workflow.set_status(status=data.get("status", ""), **common)
    if action == "priority":
        priority = workflow.to_int(data.get("priority", ""))
        return workflow.set_priority(priority=priority, **common)
    if action == "tag":
        return workflow.tag(tag=data.get("tag", ""), **common)
    if action == "untag":
        return workflow.untag(tag=data.get("tag", ""), **common)
    raise workflow.WorkflowError(_("This action does not exist."))


@require_POST
@require_perm(Perm.WORK_INBOX)
def item_action(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Assign, escalate, close, tag or re-prioritise one item."""
    visible = queries.visible_interactions(request.user)
    item = get_object_or_404(visible, pk=pk)
    error, changed = "", []
    try:
        changed = run_item_action(request, item)
    except workflow.WorkflowError as exc:
        error = str(exc)
    if not error and not changed:
        error = _(
            "Nothing changed: the item already was like this, or it must be "
            "reopened first."
        )
    fresh = get_object_or_404(
        visible.select_related("channel", "author", "assignee"), pk=pk
    )
    if request.htmx:
        if request.POST.get("from") == "row":
            row = rendering.entries(
                [fresh], "", can_work=True, user_id=request.user.pk
            )[0]
            return HttpResponse(row)
        context = {"item": fresh, "workflow_error": error if not changed else ""}
        return render(request, ACTIONS, context)
    if changed:
        messages.success(request, _("Saved."))
    else:
        messages.error(request, error)
    return back(request, reverse("inbox:detail", args=[pk]))


@require_POST
@require_perm(Perm.WORK_INBOX)
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Run one action on every selected item the user can see."""
    fallback = reverse("inbox:list")
    pks = [int(v) for v in request.POST.getlist("items") if v.isdigit()][:MAX_BULK]
    visible = queries.visible_interactions(request.user).defer("raw")
    visible = visible.select_related("channel", "author")
    items = list(visible.filter(pk__in=pks))
    if not items:
        messages.error(request, _("Select at least one item first."))
        return back(request, fallback)
    action = request.POST.get("action", "")
    value = {
        "assign": request.POST.get("assignee", ""),
        "tag": request.POST.get("tag", ""),
        "untag": request.POST.get("tag", ""),
        "status": request.POST.get("status", ""),
        "priority": request.POST.get("priority", ""),
    }.get(action, "")
    try:
        result = workflow.bulk(
            action=action,
            interactions=items,
            actor=request.user,
            value=value,
            request=request,
        )
    except workflow.WorkflowError as exc:
        messages.error(request, str(exc))
        return back(request, fallback)
    messages.success(
        request,
        ngettext(
            "%(count)d of %(total)d selected item changed.",
            "%(count)d of %(total)d selected items changed.",
            len(items),
        )
        % {"count": result.changed, "total": len(items)},
    )
    for error in result.errors[:10]:
        messages.error(request, error)
    return back(request, fallback)


@require_POST
@require_perm(Perm.VIEW_INBOX)
def save_view(request: HttpRequest) -> HttpResponse:
    """Save the current filters under a name, for this user only."""
    query = view_query(QueryDict(request.POST.get("query", "")))
    form = SavedViewForm(request.POST, user=request.user)
    if not query:
        messages.error(request, _("Set at least one filter before saving a view."))
    elif not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    else:
        saved = SavedView.objects.create(
            user=request.user, name=form.cleaned_data["name"], query=query
        )
        record_event(
            action="inbox.view_saved",
            actor=request.user,  # type: ignore[arg-type]
            target=saved,
            details={"query": query},
            request=request,
        )
        messages.success(request, _("The view was saved."))
    url = reverse("inbox:list")
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@require_perm(Perm.VIEW_INBOX)
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(SavedView, pk=pk, user=request.user)
    record_event(
        action="inbox.view_deleted",
        actor=request.user,  # type: ignore[arg-type]
        target=saved,
        details={"name": saved.name, "query": saved.query},
        request=request,
    )
    saved.delete()
    messages.success(request, _("The view was deleted."))
    return redirect("inbox:list")


@require_http_methods(["GET", "POST"])
@require_perm(Perm.MANAGE_ORGANISATION)
def inbox_settings(request: HttpRequest) -> HttpResponse:
    """Set the first-response targets per priority and raw retention."""
    current = InboxSettings.current()
    table = service_levels.normalise(current.response_minutes)
    initial = {f"minutes_{p}": table[p] for p in service_levels.PRIORITIES}
    initial["raw_retention_days"] = current.raw_retention_days
    form = InboxSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        service_levels.update_settings(
            response_minutes=form.response_minutes(),
            raw_retention_days=form.cleaned_data["raw_retention_days"],
            actor=request.user,
            request=request,
        )
        messages.success(request, _("The inbox settings were saved."))
        return redirect("inbox:settings")
    status = 400 if request.method == "POST" else 200
    return render(request, SETTINGS, {"form": form}, status=status)
