from __future__ import annotations

from django.urls import path

from leitstelle.core.views import account, audit, auth, dashboard, organisation, users

app_name = "core"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("anmelden/", auth.login_password, name="login"),
    path("anmelden/code/", auth.login_code, name="login_code"),
    path("zwei-faktor/einrichten/", auth.two_factor_setup, name="two_factor_setup"),
    path("abmelden/", auth.logout_view, name="logout"),
    path("einladung/<str:token>/", auth.accept_invitation, name="accept_invitation"),
    path("konto/", account.account, name="account"),
    path(
        "konto/ueberall-abmelden/", account.logout_everywhere, name="logout_everywhere"
    ),
    path("konto/api-token/", account.create_api_token, name="create_api_token"),
    path(
        "konto/api-token/<int:token_id>/widerrufen/",
        account.revoke_api_token,
        name="revoke_api_token",
    ),
    path("verwaltung/organisation/", organisation.organisation, name="organisation"),
    path("verwaltung/organisation/logo/", organisation.logo, name="organisation_logo"),
    path("verwaltung/einheiten/neu/", organisation.unit_create, name="unit_create"),
    path(
        "verwaltung/einheiten/<int:unit_id>/", organisation.unit_edit, name="unit_edit"
    ),
    path(
        "verwaltung/einheiten/<int:unit_id>/loeschen/",
        organisation.unit_delete,
        name="unit_delete",
    ),
    path("verwaltung/benutzer/", users.user_list, name="users"),
    path("verwaltung/benutzer/einladen/", users.invite, name="invite"),
    path(
        "verwaltung/benutzer/einladungen/<int:invitation_id>/widerrufen/",
        users.revoke_invitation,
        name="revoke_invitation",
    ),
    path("verwaltung/benutzer/<int:user_id>/", users.user_edit, name="user_edit"),
    path(
        "verwaltung/benutzer/<int:user_id>/deaktivieren/",
        users.user_deactivate,
        name="user_deactivate",
    ),
    path(
        "verwaltung/benutzer/<int:user_id>/aktivieren/",
        users.user_activate,
        name="user_activate",
    ),
    path(
        "verwaltung/benutzer/<int:user_id>/zwei-faktor-zuruecksetzen/",
        users.user_reset_two_factor,
        name="user_reset_two_factor",
    ),
    path("verwaltung/protokoll/", audit.audit_list, name="audit"),
    path("verwaltung/protokoll/export.csv", audit.audit_export, name="audit_export"),
]
