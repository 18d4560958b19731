from __future__ import annotations

from django.conf import settings
from django.urls import include, path
from django.views.static import serve

from leitstelle.api import api
from leitstelle.core.views import health
from leitstelle.inbox.views import webhooks as inbox_webhooks
from leitstelle.networks.urls import network_urlpatterns

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("uebungsnetz/", include("leitstelle.networks.exercise.urls")),
    path("kanaele/", include("leitstelle.networks.urls")),
    path("posteingang/", include("leitstelle.inbox.urls")),
    path("beitraege/", include("leitstelle.publishing.urls")),
    path("webhooks/<int:channel_id>/", inbox_webhooks.receive, name="webhook"),
    path("", include("leitstelle.core.urls")),
]
urlpatterns += network_urlpatterns(urlpatterns)

if settings.DEBUG or settings.TESTING:
    urlpatterns.append(
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})
    )
