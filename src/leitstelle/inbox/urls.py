from __future__ import annotations

from django.urls import path

from leitstelle.inbox.views import listing, thread

app_name = "inbox"

urlpatterns = [
    path("", listing.interaction_list, name="list"),
    path("<int:pk>/", thread.interaction_detail, name="detail"),
    path("<int:pk>/notiz/", thread.add_note, name="add_note"),
]
