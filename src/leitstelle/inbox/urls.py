from __future__ import annotations

from django.urls import path

from leitstelle.inbox import views

app_name = "inbox"

urlpatterns = [
    path("", views.interaction_list, name="list"),
    path("<int:pk>/", views.interaction_detail, name="detail"),
    path("<int:pk>/notiz/", views.add_note, name="add_note"),
]
