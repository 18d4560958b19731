"""Security headers, the UI language and session checks for every request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import translation
from django_htmx.http import HttpResponseClientRedirect

from leitstelle.core.models import Organisation

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SESSION_EPOCH_KEY = "leitstelle_epoch"
# When the user last did something; polls in the background do not count.
LAST_ACTIVE_KEY = "leitstelle_active"
# Sent by elements that poll (hx-headers): such a request is not activity.
BACKGROUND_HEADER = "X-Leitstelle-Background"


class ContentSecurityPolicyMiddleware:
    """Send a strict Content-Security-Policy: no inline script, no eval."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class LanguageMiddleware:
    """Use the language chosen in the switch, German otherwise.

    The browser's Accept-Language is ignored on purpose: the product speaks
    German unless someone asks for English.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = (
            chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class SessionGuardMiddleware:
    """End sessions closed by "log out everywhere"; demand 2FA where required."""

    exempt_prefixes = ("/static/", "/healthz", "/api/", "/i18n/")
    exempt_names = ("core:logout", "core:two_factor_setup")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.exempt_prefixes):
            if request.session.get(SESSION_EPOCH_KEY) != user.session_epoch:
                logout(request)
                return redirect(settings.LOGIN_URL)
            if self.idle_too_long(request):
                logout(request)
                if request.headers.get("HX-Request"):
                    return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
                return redirect(settings.LOGIN_URL)
            if self.needs_two_factor(request):
                return redirect("core:two_factor_setup")
        return self.get_response(request)

    def idle_too_long(self, request: HttpRequest) -> bool:
        """Return whether the user did nothing for the idle time; note activity.

        The session cookie is renewed on every request, polls included, so
        the idle time is kept here: an inbox left open does not keep the
        session alive by polling.
        """
        now = int(time.time())
        last = request.session.get(LAST_ACTIVE_KEY, now)
        if now - last > settings.SESSION_IDLE_MINUTES * 60:
            return True
        if request.headers.get(BACKGROUND_HEADER) != "1":
            request.session[LAST_ACTIVE_KEY] = now
        return False

    def needs_two_factor(self, request: HttpRequest) -> bool:
        user = request.user
        if user.has_two_factor or not user.requires_two_factor(Organisation.current()):
            return False
        exempt = {reverse(name) for name in self.exempt_names}
        return request.path not in exempt
