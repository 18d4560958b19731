"""Images being published, served for the Threads fetcher."""

from __future__ import annotations

from django.urls import path

from leitstelle.networks import meta

app_name = "threads"

urlpatterns = [
    path("medien/<str:name>", meta.serve_public_media, name="public_media"),
]
