"""Channel pages under /kanaele/, and the networks' own connect views.

A network whose folder has a urls.py (an OAuth start and callback, say) is
mounted at /kanaele/<kind>/ under its own namespace, `<kind>:`, unless the
root URLconf mounts it elsewhere already (the exercise network's public
site lives at /uebungsnetz/).
"""

from __future__ import annotations

from importlib.util import find_spec

from django.urls import URLPattern, URLResolver, include, path

from leitstelle.networks import registry, views

app_name = "networks"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("neu/", views.choose_network, name="choose"),
    path("neu/<str:kind>/", views.connect, name="connect"),
    path("neu/<str:kind>/bestaetigen/", views.confirm, name="confirm"),
    path("<int:channel_id>/", views.detail, name="detail"),
    path("<int:channel_id>/neu-verbinden/", views.reauthorise, name="reauthorise"),
    path("<int:channel_id>/zugriff/", views.update_access, name="access"),
    path("<int:channel_id>/pruefen/", views.check_now, name="check"),
    path("<int:channel_id>/pausieren/", views.pause, name="pause"),
    path("<int:channel_id>/fortsetzen/", views.resume, name="resume"),
    path("<int:channel_id>/trennen/", views.disconnect, name="disconnect"),
]


def has_module(dotted: str) -> bool:
    try:
        return find_spec(dotted) is not None
    except ModuleNotFoundError:
        return False


def network_urlpatterns(
    mounted: list[URLPattern | URLResolver],
) -> list[URLPattern | URLResolver]:
    """Return /kanaele/<kind>/ for each network with a urls.py not `mounted`."""
    taken = {
        getattr(pattern.urlconf_name, "__name__", None)
        for pattern in mounted
        if isinstance(pattern, URLResolver)
    }
    patterns: list[URLPattern | URLResolver] = []
    for kind in registry.CONNECTORS:
        module = views.network_module(kind, "urls")
        if module not in taken and has_module(module):
            patterns.append(path(f"kanaele/{kind}/", include(module)))
    return patterns
