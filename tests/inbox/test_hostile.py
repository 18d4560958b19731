"""Comments are hostile input: list, thread and search render them inert.

Every payload goes through the ingest service, as a connector's items
would, and the pages are parsed as HTML: no element, attribute or link may
come from the data.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from leitstelle.inbox.ingest import ingest_page
from leitstelle.inbox.models import Interaction
from leitstelle.inbox.templatetags.inbox_tags import safe_url
from tests.inbox.factories import InboxChannelFactory, incoming, page

pytestmark = pytest.mark.django_db

LIST = reverse("inbox:list")
BIG = ("Unfall " + "A" * 993) * 100  # 100 KB
HOSTILE_TEXTS = {
    "script": "<script>alert('xss')</script> Unfall",
    "handler": '<img src=x onerror="alert(1)"> Unfall',
    "svg": "<svg onload=alert(1)><script>alert(2)</script></svg> Unfall",
    "attribute": '"><a href="javascript:alert(1)">klick</a> Unfall',
    "iframe": '<iframe src="https://evil.example"></iframe> Unfall',
    "entity": "&lt;script&gt;alert(1)&lt;/script&gt; Unfall",
    "rtl": "Unfall \u202egnp.exe",
    "zero-width": "Un\u200bfall \u200d\u2060\ufeff Unfall",
    "zalgo": "U̴̢̧͓̪͚n̸̡̛̝f̷̧̛a̶̢l̴̨l̷ Unfall" + "\u0336" * 300,
    "big": BIG,
    "template": "{{ request.user }} {% debug %} Unfall",
}
HOSTILE_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",
]
SAFE_REL = {"noopener", "noreferrer", "nofollow", "ugc"}


class Elements(HTMLParser):
    """Collect every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def assert_inert(html: str) -> None:
    """Fail if the page carries markup, handlers or links from the data."""
    for tag, attrs in elements(html):
        assert tag not in {"iframe", "svg", "img", "object", "embed"}, f"<{tag}>"
        assert tag != "script" or attrs.get("src", "").startswith("/static/"), attrs
        handlers = [name for name in attrs if name.startswith("on")]
        assert not handlers, f"<{tag}> has event handlers {handlers}"
        href = attrs.get("href", "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:", "//")), href
        if attrs.get("target") == "_blank":
            rel = set(attrs.get("rel", "").split())
            assert rel >= SAFE_REL, f"external link without safe rel: {attrs}"


@pytest.fixture
def hostile() -> list[Interaction]:
    channel = InboxChannelFactory()
    items = [
        incoming(
            f"h-{name}",
            text=text,
            author_id=f"a-{name}",
            author_name=f"<script>alert('{name}')</script>\u202eevil",
            author_handle='"><svg/onload=alert(1)>',
            author_url=HOSTILE_URLS[n % len(HOSTILE_URLS)],
            url=HOSTILE_URLS[(n + 1) % len(HOSTILE_URLS)],
        )
        for n, (name, text) in enumerate(HOSTILE_TEXTS.items())
    ]
    result = ingest_page(channel=channel, page=page(*items))
    assert result.created == len(HOSTILE_TEXTS), "ingest dropped hostile items"
    return list(Interaction.objects.order_by("remote_id"))


def test_it_renders_the_list_inert(admin_client: Client, hostile) -> None:
    response = admin_client.get(LIST)
    assert response.status_code == 200, "hostile items broke the list"
    assert_inert(response.text)
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)" in response.text, "text not shown"


def test_it_renders_every_thread_inert(admin_client: Client, hostile) -> None:
    for item in hostile:
        response = admin_client.get(reverse("inbox:detail", args=[item.pk]))
        assert response.status_code == 200, f"thread of {item.remote_id} broke"
        assert_inert(response.text)


def test_it_renders_search_results_inert(admin_client: Client, hostile) -> None:
    response = admin_client.get(LIST, {"q": "Unfall script svg"})
    assert_inert(response.text)
    response = admin_client.get(LIST, {"q": "Unfall"})
    assert_inert(response.text)
    # PostgreSQL's parser reads the zalgo word as one token: not all match.
    assert response.text.count("<mark>Unfall</mark>") >= 5, "matches not marked"


def test_it_renders_a_hostile_query_inert(admin_client: Client, hostile) -> None:
    q = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    response = admin_client.get(LIST, {"q": q})
    assert response.status_code == 200, "hostile query broke the list"
    assert_inert(response.text)


def test_it_shortens_a_huge_text_in_the_list(admin_client: Client, hostile) -> None:
    response = admin_client.get(LIST)
    assert BIG[:2000] not in response.text, "100 KB text shown whole in the list"
    assert len(response.content) < 100_000, "list page bloated by one item"


def test_it_shows_a_huge_text_whole_in_the_thread(admin_client, hostile) -> None:
    big = next(item for item in hostile if item.remote_id == "h-big")
    response = admin_client.get(reverse("inbox:detail", args=[big.pk]))
    assert BIG in response.text, "thread cut the text"


def test_it_links_only_http_urls(admin_client: Client) -> None:
    channel = InboxChannelFactory()
    ingest_page(
        channel=channel,
        page=page(
            incoming("ok", url="https://net.example/p/1", author_url="http://n.ex/@a"),
            incoming("bad", url="javascript:alert(1)", author_id="a2"),
        ),
    )
    hrefs = [
        attrs.get("href", "") for _, attrs in elements(admin_client.get(LIST).text)
    ]
    assert "https://net.example/p/1" in hrefs, "http(s) item link missing"
    assert "http://n.ex/@a" in hrefs, "http profile link missing"
    assert not [href for href in hrefs if "alert" in href], "script URL linked"


def test_it_isolates_right_to_left_overrides(admin_client: Client, hostile) -> None:
    response = admin_client.get(LIST)
    assert '<bdi class="inbox-author-name">' in response.text, "name not isolated"
    assert '<p class="inbox-text" dir="auto">' in response.text, "text not isolated"


def test_it_survives_broken_surrogates_from_json(admin_client: Client) -> None:
    """Lone surrogates (broken UTF-16 in JSON) never reach the page raw."""
    text = json.loads('"Unfall \\ud800 kaputt \\udfff 👍"')
    channel = InboxChannelFactory()
    ingest_page(channel=channel, page=page(incoming("s1", text=text)))
    response = admin_client.get(LIST)
    assert response.status_code == 200, "broken surrogates broke the list"
    assert "Unfall \ufffd kaputt \ufffd 👍" in response.content.decode("utf-8")


@pytest.mark.parametrize("url", [*HOSTILE_URLS, "http:///x", "ftp://a.example/", ""])
def test_it_refuses_unsafe_link_targets(url: str) -> None:
    assert safe_url(url) == "", f"{url!r} passed as a link target"


@pytest.mark.parametrize("url", ["https://a.example/p?x=1", "http://b.example"])
def test_it_keeps_web_link_targets(url: str) -> None:
    assert safe_url(url) == url, f"{url!r} was refused"
