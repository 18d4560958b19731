"""The publishing pages, included at /beitraege/."""

from __future__ import annotations

from django.urls import path

from leitstelle.publishing.views import (
    calendar,
    compose,
    detail,
    queue,
    review,
    settings,
    variants,
)

app_name = "publishing"

urlpatterns = [
    path("", detail.post_list, name="list"),
    path("neu/", compose.create, name="compose"),
    path("vorschau/", variants.preview, name="preview"),
    path("zaehler/", variants.meter, name="meter"),
    path("teilen/", variants.split, name="split"),
    path("freigabe/", review.review_list, name="review"),
    path("<int:pk>/", detail.post_detail, name="detail"),
    path("<int:pk>/pruefungen/", detail.checks, name="checks"),
    path("<int:pk>/bearbeiten/", compose.edit, name="edit"),
    path("<int:pk>/medien/<int:asset_pk>/", detail.media, name="media"),
    path(
        "<int:pk>/medien/<int:asset_pk>/entfernen/",
        compose.remove_media,
        name="remove_media",
    ),
    path("<int:pk>/freigeben/", review.approve, name="approve"),
    path("<int:pk>/zurueckgeben/", review.send_back, name="send_back"),
    path("<int:pk>/kommentieren/", review.comment, name="comment"),
    path("<int:pk>/pruefung-uebergehen/", review.override, name="override"),
    path("<int:pk>/ohne-freigabe/", review.fast_lane, name="fast_lane"),
    path("<int:pk>/korrigieren/", detail.edit_published, name="edit_published"),
    path("<int:pk>/loeschen/", detail.delete_everywhere, name="delete"),
    path("<int:pk>/planung-aufheben/", detail.unschedule, name="unschedule"),
    path("<int:pk>/veroeffentlichen/", detail.go_out, name="go_out"),
    path(
        "veroeffentlichungen/<int:pk>/wiederholen/",
        detail.retry,
        name="retry",
    ),
    # Calendar and queue
    path("kalender/", calendar.month, name="calendar"),
    path("kalender/woche/", calendar.week, name="calendar_week"),
    path("kalender/verschieben/", calendar.move, name="calendar_move"),
    path("<int:pk>/verschieben/", calendar.reschedule_form, name="reschedule"),
    path("warteschlange/", queue.queue, name="queue"),
    # The organisation's publishing rules (admins)
    path("regeln/", settings.publishing_settings, name="settings"),
]
