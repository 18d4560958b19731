"""Facebook's Graph API, through the shared Graph client, as the page."""

from __future__ import annotations

from leitstelle.networks.meta import GRAPH_URL, GraphClient

NETWORK = "Facebook"


def graph(token: str) -> GraphClient:
    """Return a client that acts with `token` (a page or an app token)."""
    return GraphClient(base_url=GRAPH_URL, token=token, network=NETWORK)
