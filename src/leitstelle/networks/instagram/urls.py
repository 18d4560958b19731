"""Images being published, served for Instagram's fetcher."""

from __future__ import annotations

from django.urls import path

from leitstelle.networks import meta

app_name = "instagram"

urlpatterns = [
    path("medien/<str:name>", meta.serve_public_media, name="public_media"),
]
