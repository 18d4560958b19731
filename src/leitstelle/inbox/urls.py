from __future__ import annotations

from django.urls import path

from leitstelle.inbox.views import (
    alerts,
    listing,
    live,
    media,
    moderation,
    presence,
    quarantine,
    replies,
    saved_replies,
    thread,
    webhooks,
    workflow,
)

app_name = "inbox"

urlpatterns = [
    path("", listing.interaction_list, name="list"),
    path("neue/", live.new_items, name="live"),
    path("alarm/", alerts.emergency_alert, name="emergency_alert"),
    path("<int:pk>/", thread.interaction_detail, name="detail"),
    path("<int:pk>/notiz/", thread.add_note, name="add_note"),
    # Assignment, statuses, bulk, saved views, service levels (helper B)
    path("<int:pk>/bearbeiten/", workflow.item_action, name="act"),
    path("auswahl/", workflow.bulk_action, name="bulk"),
    path("ansichten/", workflow.save_view, name="save_view"),
    path("ansichten/<int:pk>/loeschen/", workflow.delete_view, name="delete_view"),
    path("einstellungen/", workflow.inbox_settings, name="settings"),
    path("zaehler/", listing.nav_count, name="nav_count"),
    # Replies, saved replies, moderation and presence (helper A)
    path("<int:pk>/antworten/", replies.send, name="reply"),
    path("<int:pk>/antworten/zaehlen/", replies.count, name="reply_count"),
    path("<int:pk>/textbaustein/", replies.fill, name="reply_fill"),
    path("antworten/<int:reply_pk>/", replies.reply_status, name="reply_status"),
    path("antworten/<int:reply_pk>/erneut/", replies.retry, name="reply_retry"),
    path("<int:pk>/anwesenheit/", presence.heartbeat, name="presence"),
    path("<int:pk>/verbergen/", moderation.hide, name="hide"),
    path("<int:pk>/einblenden/", moderation.unhide, name="unhide"),
    path("<int:pk>/loeschen/", moderation.delete, name="delete"),
    path("<int:pk>/blockieren/", moderation.block, name="block"),
    path("<int:pk>/stummschalten/", moderation.mute, name="mute"),
    path("textbausteine/", saved_replies.saved_reply_list, name="saved_replies"),
    path(
        "textbausteine/neu/", saved_replies.saved_reply_create, name="saved_reply_new"
    ),
    path(
        "textbausteine/<int:pk>/",
        saved_replies.saved_reply_edit,
        name="saved_reply_edit",
    ),
    path(
        "textbausteine/<int:pk>/loeschen/",
        saved_replies.saved_reply_delete,
        name="saved_reply_delete",
    ),
    # Media proxy, quarantine, webhook settings (helper D)
    path("medien/<str:key>/", media.media, name="media"),
    path("quarantaene/", quarantine.quarantine_list, name="quarantine"),
    path(
        "quarantaene/<int:pk>/",
        quarantine.quarantine_detail,
        name="quarantine_detail",
    ),
    path(
        "quarantaene/<int:pk>/verwerfen/",
        quarantine.quarantine_dismiss,
        name="quarantine_dismiss",
    ),
    path(
        "quarantaene/<int:pk>/erneut/",
        quarantine.quarantine_retry,
        name="quarantine_retry",
    ),
    path("webhooks/<int:pk>/", webhooks.webhook_settings, name="webhook_settings"),
    path(
        "webhooks/<int:pk>/anmelden/",
        webhooks.webhook_register,
        name="webhook_register",
    ),
]
