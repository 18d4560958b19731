"""The Threads API (graph.threads.net): Graph-shaped, through the shared client."""

from __future__ import annotations

from leitstelle.networks.meta import THREADS_URL, GraphClient

NETWORK = "Threads"


def graph(token: str) -> GraphClient:
    return GraphClient(base_url=THREADS_URL, token=token, network=NETWORK)
