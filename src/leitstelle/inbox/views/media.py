"""Serve a proxied avatar or media file from our cache (see media_proxy)."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from leitstelle.core.permissions import Perm, require_perm
from leitstelle.inbox import media_proxy

PLACEHOLDER = "leitstelle/media-placeholder.svg"
# The key is the URL's hash: the file behind it never changes.
CACHE_FOREVER = "private, max-age=31536000, immutable"


@require_safe
@require_perm(Perm.VIEW_INBOX)
def media(request: HttpRequest, key: str) -> HttpResponse:
    row, path = media_proxy.cached(key)
    if row is None:
        raise Http404
    if path is None:
        response: HttpResponse = redirect(static(PLACEHOLDER))
        response["Cache-Control"] = "private, max-age=600"
        return response
    response = FileResponse(path.open("rb"), content_type=row.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = CACHE_FOREVER
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
