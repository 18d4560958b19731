"""Link checks: HEAD then GET, short timeouts, skipped without internet."""

from __future__ import annotations

import httpx
import pytest
import respx

from leitstelle.publishing import checks, links

BASE = "https://www.polizei.example.de"


@pytest.fixture(autouse=True)
def local_cache(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "links-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()


def test_it_finds_links_with_and_without_a_scheme() -> None:
    text = (
        f"Mehr: {BASE}/presse/1.html, polizei.sachsen.de/presse und "
        f"nochmal {BASE}/presse/1.html. Mail: info@polizei.de"
    )
    assert links.find_links(text) == [
        f"{BASE}/presse/1.html",
        "https://polizei.sachsen.de/presse",
    ]


@respx.mock
def test_it_accepts_a_link_that_answers() -> None:
    respx.head(f"{BASE}/ok").respond(200)
    [result] = links.check_links([f"{BASE}/ok"])
    assert (result.ok, result.status) == (True, 200)


@respx.mock
def test_it_follows_redirects() -> None:
    respx.head(f"{BASE}/alt").respond(301, headers={"Location": f"{BASE}/neu"})
    respx.head(f"{BASE}/neu").respond(200)
    [result] = links.check_links([f"{BASE}/alt"])
    assert result.ok


@respx.mock
def test_it_tries_get_when_the_server_refuses_head() -> None:
    respx.head(f"{BASE}/nohead").respond(405)
    get = respx.get(f"{BASE}/nohead").respond(200, text="<html></html>")
    [result] = links.check_links([f"{BASE}/nohead"])
    assert result.ok
    assert get.called


@respx.mock
def test_it_reports_a_missing_page() -> None:
    respx.head(f"{BASE}/weg").respond(404)
    respx.get(f"{BASE}/weg").respond(404)
    respx.head(f"{BASE}/ok").respond(204)
    dead, alive = links.check_links([f"{BASE}/weg", f"{BASE}/ok"])
    assert (dead.ok, dead.status, alive.ok) == (False, 404, True)
    assert dead.reason == "the page does not exist (HTTP 404)."


@respx.mock
def test_it_gives_the_reason_in_the_users_language(monkeypatch, settings) -> None:
    """The checks run in threads; the user's language must go with them."""
    from django.utils import translation

    monkeypatch.setattr(links, "_", lambda text: f"{translation.get_language()}:{text}")
    respx.head(f"{BASE}/weg").respond(410)
    respx.get(f"{BASE}/weg").respond(410)
    settings.LANGUAGE_CODE = "de"
    with translation.override("en"):
        [result] = links.check_links([f"{BASE}/weg"])
    assert result.reason == "en:the page does not exist (HTTP 410)."


@respx.mock
def test_it_reports_a_server_error() -> None:
    respx.head(f"{BASE}/kaputt").respond(503)
    [result] = links.check_links([f"{BASE}/kaputt"])
    assert (result.ok, result.skipped) == (False, False)
    assert "HTTP 503" in result.reason


@respx.mock
def test_it_gives_up_after_a_short_timeout() -> None:
    respx.head(f"{BASE}/langsam").mock(side_effect=httpx.ReadTimeout("slow"))
    [result] = links.check_links([f"{BASE}/langsam"])
    assert (result.ok, result.skipped) == (False, False)
    assert "no answer" in result.reason
    assert links.TIMEOUT.read <= 5


@respx.mock
def test_it_skips_the_check_when_nothing_can_be_reached() -> None:
    respx.head(url__startswith="https://").mock(side_effect=httpx.ConnectError("dns"))
    results = links.check_links([f"{BASE}/a", "https://andere.example.org/b"])
    assert all(result.skipped and not result.ok for result in results)
    [note] = checks.find_dead_links(results)
    assert (note.code, note.severity) == ("link_unchecked", "warning")
    assert note.message == "Links were not checked: no connection to the internet."


@respx.mock
def test_it_calls_a_host_dead_that_alone_cannot_be_reached() -> None:
    respx.head(f"{BASE}/ok").respond(200)
    respx.head("https://gibtsnicht.example.org/").mock(
        side_effect=httpx.ConnectError("dns")
    )
    results = links.check_links([f"{BASE}/ok", "https://gibtsnicht.example.org/"])
    [finding] = checks.find_dead_links(results)
    assert finding.code == "link_dead"
    assert finding.excerpt == "https://gibtsnicht.example.org/"


def test_it_skips_every_check_when_switched_off(settings) -> None:
    settings.PUBLISHING_LINK_CHECKS = False
    with respx.mock(assert_all_called=False) as mock:
        route = mock.head(url__startswith="https://").respond(200)
        [result] = links.check_links([f"{BASE}/a"])
    assert result.skipped
    assert not route.called


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8000/admin/",
        "http://127.0.0.1/",
        "http://10.1.2.3/intern",
        "http://192.168.0.1/",
        "http://[::1]/",
        "http://drucker.local/",
    ],
)
def test_it_never_probes_internal_addresses(url: str) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200)
        [result] = links.check_links([url])
    assert result.ok
    assert not route.called


@respx.mock
def test_it_follows_no_redirect_into_the_internal_network() -> None:
    respx.head(f"{BASE}/umleitung").respond(
        302, headers={"Location": "http://192.168.1.10/admin"}
    )
    internal = respx.head("http://192.168.1.10/admin").respond(200)
    [result] = links.check_links([f"{BASE}/umleitung"])
    assert result.ok
    assert not internal.called


@respx.mock
def test_it_remembers_answers_for_a_while() -> None:
    route = respx.head(f"{BASE}/ok").respond(200)
    links.check_links_cached([f"{BASE}/ok"])
    [result] = links.check_links_cached([f"{BASE}/ok"])
    assert result.ok
    assert route.call_count == 1


@respx.mock
def test_it_does_not_remember_a_skipped_check() -> None:
    route = respx.head(f"{BASE}/a").mock(side_effect=httpx.ConnectError("offline"))
    links.check_links_cached([f"{BASE}/a"])
    links.check_links_cached([f"{BASE}/a"])
    assert route.call_count == 2
