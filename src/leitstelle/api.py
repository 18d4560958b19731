"""The `/api/v1` root: routers of the apps are added here.

Every call authenticates with a personal API token
(`Authorization: Bearer <token>`); the OpenAPI description is served at
`/api/v1/openapi.json` and readable at `/api/v1/docs`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from leitstelle.core.api import ApiTokenAuth
from leitstelle.core.api import router as core_router
from leitstelle.core.services import ConflictError, ServiceError
from leitstelle.inbox.api import router as inbox_router
from leitstelle.publishing.api import router as posts_router

api = NinjaAPI(
    title="Leitstelle API",
    version="1",
    description=(
        "Integrations and scripts reach Leitstelle here. Create a personal "
        "token on your account page and send it as `Authorization: Bearer "
        "<token>`; every call is checked against your role."
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
)
api.add_router("/", core_router)
api.add_router("/", inbox_router)
api.add_router("/", posts_router)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"detail": _("Send a valid API token as “Authorization: Bearer <token>”.")},
        status=401,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ServiceError)
def refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    status = 409 if isinstance(exc, ConflictError) else 400
    return api.create_response(request, {"detail": exc.message}, status=status)
