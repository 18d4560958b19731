"""The `/api/v1` root: routers of the apps are added here."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(title="Leitstelle API", version="1", urls_namespace="api")
