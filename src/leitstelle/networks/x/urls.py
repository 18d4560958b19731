"""Sign in with X (OAuth 2.0 with PKCE), mounted at /kanaele/x/."""

from __future__ import annotations

from django.urls import path

from leitstelle.networks.x import views

app_name = "x"

urlpatterns = [
    path("anmelden/", views.oauth_start, name="oauth_start"),
    path("rueckkehr/", views.oauth_callback, name="oauth_callback"),
]
