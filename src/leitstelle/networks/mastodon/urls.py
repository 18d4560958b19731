"""Sign in with Mastodon, mounted at /kanaele/mastodon/."""

from __future__ import annotations

from django.urls import path

from leitstelle.networks.mastodon import views

app_name = "mastodon"

urlpatterns = [
    path("anmelden/", views.sign_in, name="sign_in"),
    path("anmelden/zurueck/", views.callback, name="callback"),
]
