"""The exercise network's timeline, and the simulated citizen's tools.

The exercise network plays a public social network, but it lives inside the
authority's Leitstelle: every page needs a login (any role), so that nothing
written in a drill is ever public.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_htmx.middleware import HtmxDetails

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.networks.exercise import services
from leitstelle.networks.exercise.forms import (
    ChooseCitizenForm,
    CommentForm,
    NewCitizenForm,
)
from leitstelle.networks.exercise.models import (
    ExerciseAccount,
    ExerciseMedia,
    ExercisePost,
)

CITIZEN_KEY = "exercise_citizen"
POSTS_PER_PAGE = 20


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def current_citizen(request: HttpRequest) -> ExerciseAccount | None:
    """Return the simulated citizen this user writes as, if chosen."""
    citizen_id = request.session.get(CITIZEN_KEY)
    if not citizen_id:
        return None
    return ExerciseAccount.objects.filter(pk=citizen_id, is_organisation=False).first()


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else default


def panel(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    """Return the context of the simulated citizen panel."""
    citizen = current_citizen(request)
    return {
        "citizen": citizen,
        "page_url": request.get_full_path(),
        "choose_form": forms.get("choose_form")
        or ChooseCitizenForm(initial={"citizen": citizen}),
        "new_citizen_form": forms.get("new_citizen_form") or NewCitizenForm(),
    }


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    visible = Q(posts__in_reply_to__isnull=True, posts__deleted_at__isnull=True)
    accounts = ExerciseAccount.objects.annotate(
        post_count=Count("posts", filter=visible)
    )
    context = {
        "organisation_accounts": [a for a in accounts if a.is_organisation],
        "citizens": [a for a in accounts if not a.is_organisation],
        **panel(request),
    }
    return render(request, "exercise/index.html", context)


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_safe
def account(request: HttpRequest, handle: str) -> HttpResponse:
    owner = get_object_or_404(ExerciseAccount, handle=handle.lower())
    posts = (
        owner.posts.filter(in_reply_to__isnull=True)
        .select_related("account")
        .prefetch_related("media")
        .order_by("-created_at", "-id")
    )
    page = Paginator(posts, POSTS_PER_PAGE).get_page(request.GET.get("page"))
    tops = list(page.object_list)
    services.attach_threads(tops)
    context = {"owner": owner, "page": page, "tops": tops, **panel(request)}
    return render(request, "exercise/account.html", context)


def _post_or_404(handle: str, post_id: int) -> ExercisePost:
    found = ExercisePost.objects.select_related(
        "account", "root", "in_reply_to__account"
    ).prefetch_related("media")
    return get_object_or_404(found, pk=post_id, account__handle=handle.lower())


def _post_page(
    request: HttpRequest, top: ExercisePost, status: int = 200, **extra: Any
) -> HttpResponse:
    services.attach_threads([top])
    context = {"top": top, "owner": top.account, **panel(request), **extra}
    return render(request, "exercise/post.html", context, status=status)


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_safe
def post(request: HttpRequest, handle: str, post_id: int) -> HttpResponse:
    return _post_page(request, _post_or_404(handle, post_id))


def _thread_top(request: HttpRequest, parent: ExercisePost) -> ExercisePost:
    """Return the post at the top of the thread the form was sent from."""
    try:
        top_id = int(request.POST.get("thread", ""))
    except ValueError:
        top_id = parent.pk
    found = ExercisePost.objects.select_related(
        "account", "root", "in_reply_to__account"
    )
    top = found.prefetch_related("media").filter(pk=top_id).first()
    if top is None or top.thread_root_id != parent.thread_root_id:
        return found.prefetch_related("media").get(pk=parent.thread_root_id)
    return top


def _render_thread(
    request: HtmxHttpRequest, top: ExercisePost, **extra: Any
) -> HttpResponse:
    services.attach_threads([top])
    context = {
        "top": top,
        "citizen": current_citizen(request),
        "page_url": request.htmx.current_url_abs_path or top.get_absolute_url(),
        **extra,
    }
    return render(request, "exercise/_thread.html", context)


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_POST
def reply(request: HtmxHttpRequest, handle: str, post_id: int) -> HttpResponse:
    parent = _post_or_404(handle, post_id)
    form = CommentForm(request.POST, request.FILES)
    citizen = current_citizen(request)
    if form.is_valid():
        if citizen is None:
            form.add_error(None, _("Choose a simulated citizen to write as first."))
        else:
            try:
                comment = services.post_citizen_comment(
                    author=citizen,
                    parent=parent,
                    text=form.cleaned_data["text"],
                    media=form.uploads(),
                    actor=request.user,
                    request=request,
                )
            except services.ExerciseError as exc:
                form.add_error(None, exc.message)
            else:
                top = _thread_top(request, parent)
                if request.htmx:
                    return _render_thread(request, top)
                next_url = safe_next(request, top.get_absolute_url())
                return redirect(f"{next_url}#post-{comment.pk}")
    top = _thread_top(request, parent)
    failed = {"reply_target": parent.pk, "reply_form": form}
    if request.htmx:
        # htmx swaps 200 answers only: the form comes back with its errors.
        return _render_thread(request, top, **failed)
    page_url = safe_next(request, top.get_absolute_url())
    return _post_page(request, top, status=400, page_url=page_url, **failed)


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_safe
def media(request: HttpRequest, media_id: int) -> FileResponse:
    item = get_object_or_404(ExerciseMedia, pk=media_id, post__deleted_at__isnull=True)
    response = FileResponse(item.file.open("rb"), content_type=item.mime_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_safe
def citizen(request: HttpRequest) -> HttpResponse:
    context = {**panel(request), "page_url": safe_next(request, "")}
    return render(request, "exercise/citizen.html", context)


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_POST
def citizen_choose(request: HttpRequest) -> HttpResponse:
    form = ChooseCitizenForm(request.POST)
    if not form.is_valid():
        context = {
            **panel(request, choose_form=form),
            "page_url": safe_next(request, ""),
        }
        return render(request, "exercise/citizen.html", context, status=400)
    chosen = form.cleaned_data["citizen"]
    request.session[CITIZEN_KEY] = chosen.pk
    messages.success(
        request, _("You now write as @%(handle)s.") % {"handle": chosen.handle}
    )
    return redirect(safe_next(request, "exercise:index"))


@require_perm(Perm.USE_EXERCISE_NETWORK)
@require_POST
def citizen_create(request: HttpRequest) -> HttpResponse:
    form = NewCitizenForm(request.POST)
    if form.is_valid():
        try:
            created = services.create_citizen(
                actor=request.user, request=request, **form.cleaned_data
            )
        except services.ExerciseError as exc:
            form.add_error("handle", exc.message)
        else:
            request.session[CITIZEN_KEY] = created.pk
            messages.success(
                request, _("You now write as @%(handle)s.") % {"handle": created.handle}
            )
            return redirect(safe_next(request, "exercise:index"))
    context = {
        **panel(request, new_citizen_form=form),
        "page_url": safe_next(request, ""),
    }
    return render(request, "exercise/citizen.html", context, status=400)
