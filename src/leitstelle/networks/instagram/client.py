"""Instagram's Graph API (with Facebook Login), through the shared client."""

from __future__ import annotations

from leitstelle.networks.meta import GRAPH_URL, GraphClient

NETWORK = "Instagram"


def graph(token: str) -> GraphClient:
    """Return a client acting with the linked Facebook page's token."""
    return GraphClient(base_url=GRAPH_URL, token=token, network=NETWORK)
