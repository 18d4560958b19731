"""The media proxy: registered URLs only, checked types, no private hosts."""

from __future__ import annotations

import io

import httpx
import pytest
import respx
from django.test import Client
from PIL import Image

from leitstelle.inbox import media_proxy
from leitstelle.inbox.models import CachedMedia
from tests.conftest import login_client
from tests.inbox.factories import AuthorFactory, InteractionFactory

pytestmark = pytest.mark.django_db

AVATAR = "https://cdn.example.net/avatars/erika.png"
PUBLIC_ADDRESS = "93.184.216.34"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path, monkeypatch):
    """Cache into a temporary folder; every host resolves to a public address."""
    settings.DATA_DIR = tmp_path
    addresses = {"cdn.example.net": [PUBLIC_ADDRESS], "other.example": [PUBLIC_ADDRESS]}
    monkeypatch.setattr(
        media_proxy, "resolve", lambda host: addresses.get(host, [PUBLIC_ADDRESS])
    )
    return addresses


@pytest.fixture
def viewer(client, analyst) -> Client:
    return login_client(client, analyst)


def test_it_gives_our_address_for_a_remote_url_and_registers_it():
    url = media_proxy.proxied_url(AVATAR)
    key = media_proxy.key_for(AVATAR)
    assert url == f"/posteingang/medien/{key}/"
    assert CachedMedia.objects.get(key=key).url == AVATAR


def test_it_gives_no_address_for_other_schemes():
    for url in ("javascript:alert(1)", "data:image/png;base64,AAAA", "ftp://x/y", ""):
        assert media_proxy.proxied_url(url) == ""
    assert not CachedMedia.objects.exists()


def test_it_registers_a_page_of_urls_at_once(django_assert_num_queries):
    urls = [f"https://cdn.example.net/{n}.jpg" for n in range(20)]
    with django_assert_num_queries(2):
        found = media_proxy.register([*urls, *urls, None, "javascript:x"])
    assert len(found) == 20
    assert CachedMedia.objects.count() == 20
    with django_assert_num_queries(1):  # known URLs: one read, no write
        assert media_proxy.register(urls) == found


def test_it_fetches_once_and_serves_from_the_cache(viewer):
    url = media_proxy.proxied_url(AVATAR)
    with respx.mock() as network:
        route = network.get(AVATAR).respond(
            200, content=png_bytes(), headers={"Content-Type": "image/png"}
        )
        first = viewer.get(url)
        second = viewer.get(url)
    assert route.call_count == 1
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "image/png"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert first["Content-Disposition"] == "inline"
    assert "max-age=31536000" in first["Cache-Control"]
    assert b"".join(second.streaming_content) == png_bytes()


def test_it_serves_the_type_the_bytes_show_not_the_one_declared(viewer):
    url = media_proxy.proxied_url(AVATAR)
    with respx.mock() as network:
        network.get(AVATAR).respond(
            200, content=png_bytes(), headers={"Content-Type": "text/html"}
        )
        response = viewer.get(url)
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "image/svg+xml",
        ),
        (b"<html><script>alert(1)</script></html>", "image/png"),
        (b"%PDF-1.7 not an image", "image/jpeg"),
    ],
)
def test_it_refuses_anything_but_images_and_mp4(viewer, content, declared):
    url = media_proxy.proxied_url(AVATAR)
    with respx.mock() as network:
        network.get(AVATAR).respond(
            200, content=content, headers={"Content-Type": declared}
        )
        response = viewer.get(url)
    assert response.status_code == 302
    assert response["Location"].endswith("leitstelle/media-placeholder.svg")
    row = CachedMedia.objects.get()
    assert row.error.startswith("not an image")
    assert not media_proxy.cache_path(row.key).exists()


def test_it_refuses_files_over_five_megabytes(viewer):
    url = media_proxy.proxied_url(AVATAR)
    big = png_bytes() + b"\0" * (5 * 1024 * 1024)
    with respx.mock() as network:
        network.get(AVATAR).respond(200, content=big)
        response = viewer.get(url)
    assert response.status_code == 302
    assert CachedMedia.objects.get().error == "larger than 5 MB"


def test_it_shows_a_placeholder_when_the_network_fails_and_waits_to_retry(viewer):
    url = media_proxy.proxied_url(AVATAR)
    with respx.mock() as network:
        route = network.get(AVATAR).mock(side_effect=httpx.ConnectTimeout("slow"))
        first = viewer.get(url)
        second = viewer.get(url)
    assert first.status_code == second.status_code == 302
    assert route.call_count == 1  # a failure is not retried on every page view
    assert CachedMedia.objects.get().error == "ConnectTimeout"


def test_it_never_fetches_an_unregistered_key(viewer):
    with respx.mock() as network:
        response = viewer.get(f"/posteingang/medien/{media_proxy.key_for(AVATAR)}/")
    assert response.status_code == 404
    assert not network.calls


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.10",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "fd00::1",
    ],
)
def test_it_refuses_private_addresses(viewer, isolated, address):
    isolated["cdn.example.net"] = [address]
    url = media_proxy.proxied_url(AVATAR)
    with respx.mock() as network:
        response = viewer.get(url)
    assert response.status_code == 302
    assert not network.calls
    assert "private address" in CachedMedia.objects.get().error


def test_it_checks_every_redirect_target(viewer, isolated):
    isolated["internal.example"] = ["10.0.0.5"]
    url = media_proxy.proxied_url(AVATAR)
    with respx.mock(assert_all_called=False) as network:
        network.get(AVATAR).respond(
            302, headers={"Location": "http://internal.example/secret.png"}
        )
        inner = network.get("http://internal.example/secret.png").respond(
            200, content=png_bytes()
        )
        response = viewer.get(url)
    assert response.status_code == 302
    assert not inner.called
    assert "private address" in CachedMedia.objects.get().error


def test_it_follows_a_redirect_to_a_public_host(viewer):
    url = media_proxy.proxied_url(AVATAR)
    with respx.mock() as network:
        network.get(AVATAR).respond(
            301, headers={"Location": "https://other.example/erika.png"}
        )
        network.get("https://other.example/erika.png").respond(200, content=png_bytes())
        response = viewer.get(url)
    assert response.status_code == 200


def test_it_links_our_own_media_directly(settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    own = "http://127.0.0.1:8000/media/exercise/photo.png"
    assert media_proxy.proxied_url(own) == "/media/exercise/photo.png"
    assert not CachedMedia.objects.exists()


def test_it_shows_no_other_page_of_ours_as_an_image(settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert media_proxy.proxied_url("http://127.0.0.1:8000/posteingang/1/") == ""
    assert media_proxy.proxied_url("http://127.0.0.1:8000/media/../x") == ""


def test_another_port_of_our_host_goes_through_the_checks(viewer, settings, isolated):
    settings.BASE_URL = "http://127.0.0.1:8000"
    isolated["127.0.0.1"] = ["127.0.0.1"]
    url = media_proxy.proxied_url("http://127.0.0.1:6379/media/x.png")
    assert url.startswith("/posteingang/medien/")
    with respx.mock() as network:
        response = viewer.get(url)
    assert response.status_code == 302
    assert not network.calls


def test_it_needs_a_login(client):
    url = media_proxy.proxied_url(AVATAR)
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "anmelden" in response["Location"]


def test_the_author_partial_shows_the_avatar_through_the_proxy(viewer):
    author = AuthorFactory(avatar_url=AVATAR, name="Erika")
    item = InteractionFactory(channel=author.channel, author=author)
    response = viewer.get(f"/posteingang/{item.pk}/")
    assert response.status_code == 200
    assert AVATAR not in response.text
    assert media_proxy.proxied_url(AVATAR) in response.text


def test_the_proxied_filter_escapes_nothing_it_cannot_use():
    from leitstelle.inbox.templatetags.inbox_tags import proxied

    assert proxied('https://cdn.example.net/a.png"><script>').startswith(
        "/posteingang/medien/"
    )
    assert proxied("javascript:alert(1)") == ""


def test_the_thread_shows_attached_media_through_the_proxy(viewer):
    photo = "https://cdn.example.net/media/unfall.jpg"
    item = InteractionFactory(media_urls=[photo, "javascript:alert(1)"])
    response = viewer.get(f"/posteingang/{item.pk}/")
    assert photo not in response.text
    assert "javascript:" not in response.text
    assert f'src="{media_proxy.proxied_url(photo)}"' in response.text


def test_the_list_shows_avatars_and_thumbnails_through_the_proxy(viewer):
    photo = "https://cdn.example.net/media/stau.jpg"
    author = AuthorFactory(avatar_url=AVATAR)
    InteractionFactory(channel=author.channel, author=author, media_urls=[photo])
    response = viewer.get("/posteingang/")
    assert response.status_code == 200
    assert AVATAR not in response.text and photo not in response.text
    assert f'src="{media_proxy.address(AVATAR)}"' in response.text
    assert f'src="{media_proxy.address(photo)}"' in response.text
    # Registered, so the proxy may fetch them.
    assert CachedMedia.objects.filter(url__in=[AVATAR, photo]).count() == 2


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_the_avatar_loads_from_our_server_only(page, live_server):
    from django.conf import settings as django_settings

    from tests.core.factories import UserFactory

    worker = UserFactory(username="sachbearbeitung", role="community")
    author = AuthorFactory(avatar_url=AVATAR, name="Erika Muster")
    InteractionFactory(channel=author.channel, author=author, text="Danke!")
    session = login_client(Client(), worker).cookies[
        django_settings.SESSION_COOKIE_NAME
    ]
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": session.value,
                "url": live_server.url,
            }
        ]
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    with respx.mock(assert_all_called=False) as network:
        network.route(host="127.0.0.1").pass_through()
        network.route(host="localhost").pass_through()
        remote = network.get(AVATAR).respond(200, content=png_bytes())
        page.goto(f"{live_server.url}/posteingang/")
        image = page.locator("img.avatar-image").first
        image.wait_for()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )

    assert remote.call_count == 1  # fetched once, by the server
    assert all(url.startswith(live_server.url) for url in requested)
