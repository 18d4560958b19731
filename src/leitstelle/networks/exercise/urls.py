"""The exercise network's pages, included at /uebungsnetz/."""

from __future__ import annotations

from django.urls import path, register_converter

from leitstelle.networks.exercise import views
from leitstelle.networks.exercise.models import HANDLE_PATTERN


class HandleConverter:
    regex = HANDLE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(HandleConverter, "exercise_handle")

app_name = "exercise"

# "buerger" and "medien" are reserved handles (services.RESERVED_HANDLES).
urlpatterns = [
    path("", views.index, name="index"),
    path("buerger/", views.citizen, name="citizen"),
    path("buerger/waehlen/", views.citizen_choose, name="citizen_choose"),
    path("buerger/neu/", views.citizen_create, name="citizen_create"),
    path("medien/<int:media_id>/", views.media, name="media"),
    path("<exercise_handle:handle>/", views.account, name="account"),
    path("<exercise_handle:handle>/<int:post_id>/", views.post, name="post"),
    path(
        "<exercise_handle:handle>/<int:post_id>/antworten/",
        views.reply,
        name="reply",
    ),
]
