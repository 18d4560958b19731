"""Media for a network: metadata stripped, converted, shrunk, validated."""

from __future__ import annotations

import io
import random
import struct

import pytest
from django.core.files.base import ContentFile
from PIL import Image, ImageCms

from leitstelle.networks.base import MediaRules
from leitstelle.publishing import media
from leitstelle.publishing.media import MediaError, prepare_for
from leitstelle.publishing.models import MediaAsset, Post


@pytest.fixture(autouse=True)
def own_media_folder(media_root):
    """Uploaded files go to the test's own folder (tests.publishing.factories)."""
    return media_root


GPS_IFD = 0x8825
ORIENTATION = 0x0112
RULES = MediaRules(image_types=("image/jpeg", "image/png"), max_image_bytes=5 * 2**20)
JPEG_ONLY = MediaRules(image_types=("image/jpeg",), max_image_bytes=8 * 2**20)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'


def photo(
    size: tuple[int, int] = (64, 32),
    *,
    fmt: str = "JPEG",
    mode: str = "RGB",
    color=(200, 30, 30),
    **options,
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **options)
    return buffer.getvalue()


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A picture that compresses badly, to force shrinking."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "Polizei-Kamera"  # Make
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (51.0, 3.0, 14.5)
    gps[3] = "E"
    gps[4] = (13.0, 44.0, 6.2)
    return exif


def test_it_removes_gps_and_all_other_metadata_from_a_jpeg() -> None:
    original = photo(exif=exif_with_gps(), comment=b"Tatort Hauptstr. 12", xmp=XMP)
    before = Image.open(io.BytesIO(original))
    assert before.getexif().get_ifd(GPS_IFD)[2] == (51.0, 3.0, 14.5)
    assert b"Tatort" in original
    assert b"adobe:ns:meta" in original

    result = prepare_for((original, "image/jpeg", "Ein Streifenwagen"), RULES)

    after = Image.open(io.BytesIO(result.content))
    assert after.format == "JPEG"
    assert not after.getexif()
    assert not after.getexif().get_ifd(GPS_IFD)
    assert {"exif", "xmp", "comment", "icc_profile"}.isdisjoint(after.info)
    for marker in (b"Exif", b"Tatort", b"adobe:ns:meta", b"Polizei-Kamera"):
        assert marker not in result.content
    assert result.mime_type == "image/jpeg"
    assert result.alt_text == "Ein Streifenwagen"


def test_it_turns_the_picture_as_the_exif_orientation_says() -> None:
    original = photo((60, 20), exif=exif_with_gps(orientation=6))
    result = prepare_for((original, "image/jpeg", "x"), RULES)
    assert Image.open(io.BytesIO(result.content)).size == (20, 60)


def test_it_removes_metadata_from_a_png_and_keeps_it_png() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Wohnung Familie M.")
    original = photo(fmt="PNG", mode="RGB", pnginfo=info, exif=exif_with_gps())
    assert b"Wohnung" in original
    result = prepare_for((original, "image/png", "Grafik"), RULES)
    assert result.mime_type == "image/png"  # a graphic: JPEG would blur text
    assert b"Wohnung" not in result.content
    assert not Image.open(io.BytesIO(result.content)).getexif()


def test_it_turns_a_graphic_into_jpeg_where_png_is_too_big() -> None:
    buffer = io.BytesIO()
    noise((400, 400)).save(buffer, "PNG")
    rules = MediaRules(image_types=("image/jpeg", "image/png"), max_image_bytes=200_000)
    result = prepare_for((buffer.getvalue(), "image/png", "x"), rules)
    assert result.mime_type == "image/jpeg"
    assert Image.open(io.BytesIO(result.content)).size == (400, 400)


def test_it_refuses_decompression_bombs_before_decoding(monkeypatch) -> None:
    monkeypatch.setattr(media, "MAX_PIXELS", 100)
    with pytest.raises(MediaError, match=r"too large \(20 by 10 pixels"):
        prepare_for((photo((20, 10)), "image/jpeg", "x"), RULES)


def test_it_keeps_a_transparent_png_a_png() -> None:
    original = photo(fmt="PNG", mode="RGBA", color=(0, 0, 255, 0))
    result = prepare_for((original, "image/png", "Logo"), RULES)
    image = Image.open(io.BytesIO(result.content))
    assert (result.mime_type, image.format, image.mode) == ("image/png", "PNG", "RGBA")
    assert image.getpixel((0, 0))[3] == 0


def test_it_flattens_transparency_onto_white_for_jpeg_only_networks() -> None:
    original = photo(fmt="PNG", mode="RGBA", color=(0, 0, 255, 0))
    result = prepare_for((original, "image/png", "Logo"), JPEG_ONLY)
    image = Image.open(io.BytesIO(result.content))
    assert (result.mime_type, image.mode) == ("image/jpeg", "RGB")
    assert image.getpixel((0, 0)) >= (250, 250, 250)


def test_it_converts_webp_and_cmyk_to_jpeg() -> None:
    webp = photo(fmt="WEBP")
    assert prepare_for((webp, "image/webp", "x"), JPEG_ONLY).mime_type == "image/jpeg"
    cmyk = photo(mode="CMYK", color=(0, 100, 100, 0))
    result = prepare_for((cmyk, "image/jpeg", "x"), JPEG_ONLY)
    assert Image.open(io.BytesIO(result.content)).mode == "RGB"


def test_it_converts_colours_to_srgb_and_drops_the_icc_profile() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = photo(icc_profile=srgb)
    assert Image.open(io.BytesIO(original)).info.get("icc_profile")
    result = prepare_for((original, "image/jpeg", "x"), RULES)
    assert "icc_profile" not in Image.open(io.BytesIO(result.content)).info
    # A profile that cannot convert RGB leaves the pixels alone, still dropped.
    odd = photo(icc_profile=profile)
    result = prepare_for((odd, "image/jpeg", "x"), RULES)
    assert "icc_profile" not in Image.open(io.BytesIO(result.content)).info


def test_it_shrinks_a_large_picture_to_the_network_limits() -> None:
    buffer = io.BytesIO()
    noise((1200, 900)).save(buffer, "PNG")
    original = buffer.getvalue()
    assert len(original) > 1_000_000
    bluesky = MediaRules(
        image_types=("image/jpeg", "image/png"), max_image_bytes=150_000
    )
    result = prepare_for((original, "image/png", "x"), bluesky, max_side=1000)
    image = Image.open(io.BytesIO(result.content))
    assert len(result.content) <= 150_000
    assert max(image.size) <= 1000
    assert image.size[0] / image.size[1] == pytest.approx(4 / 3, rel=0.01)


def test_it_caps_the_longest_side() -> None:
    result = prepare_for((photo((5000, 100)), "image/jpeg", "x"), RULES)
    assert Image.open(io.BytesIO(result.content)).size == (4096, 82)


def test_it_names_the_limit_when_a_picture_cannot_fit() -> None:
    buffer = io.BytesIO()
    noise((800, 800)).save(buffer, "PNG")
    tiny = MediaRules(image_types=("image/jpeg",), max_image_bytes=1_000)
    with pytest.raises(MediaError) as error:
        prepare_for((buffer.getvalue(), "image/png", "x"), tiny, network="Bluesky")
    assert error.value.message == "Bluesky accepts images up to 1 KB."


def test_it_names_the_network_limit_in_megabytes(monkeypatch) -> None:
    monkeypatch.setattr(media, "encodings", lambda image, target: [bytes(9 * 2**20)])
    with pytest.raises(MediaError, match=r"^Instagram accepts images up to 8 MB\.$"):
        prepare_for(
            (photo((400, 400)), "image/jpeg", "x"), JPEG_ONLY, network="Instagram"
        )


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (8 * 2**20, "8 MB"),
        (1_000_000, "1 MB"),
        (1_500_000, "1.4 MB"),
        (40 * 2**20, "40 MB"),
        (2**30, "1 GB"),
        (512, "512 bytes"),
    ],
)
def test_it_says_sizes_in_plain_words(size: int, expected: str) -> None:
    assert media.human_size(size) == expected


def test_it_refuses_files_that_are_no_picture() -> None:
    with pytest.raises(MediaError, match="no image we can read"):
        prepare_for((b"GIF89a but not really", "image/gif", "x"), RULES)


def test_it_refuses_images_where_the_network_takes_none() -> None:
    with pytest.raises(MediaError, match="Telegram accepts no images"):
        prepare_for(
            (photo(), "image/jpeg", "x"), MediaRules(image_types=()), network="Telegram"
        )


def test_it_sends_the_first_picture_of_an_animation() -> None:
    frames = [Image.new("RGB", (10, 10), c) for c in ((255, 0, 0), (0, 255, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    result = prepare_for((buffer.getvalue(), "image/gif", "x"), RULES)
    image = Image.open(io.BytesIO(result.content))
    assert (image.format, getattr(image, "n_frames", 1)) == ("PNG", 1)
    assert image.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_it_drops_alt_text_where_the_network_has_none() -> None:
    telegram = MediaRules(alt_text_length=0)
    assert prepare_for((photo(), "image/jpeg", "Bild"), telegram).alt_text == ""
    short = MediaRules(alt_text_length=4)
    assert (
        prepare_for((photo(), "image/jpeg", "Streifenwagen"), short).alt_text == "Stre"
    )


@pytest.mark.django_db
def test_it_reads_a_media_asset(editor) -> None:
    post = Post.objects.create(master_text="x", author=editor)
    original = photo(exif=exif_with_gps())
    asset = MediaAsset.objects.create(
        post=post,
        file=ContentFile(original, name="foto.jpg"),
        kind="image",
        mime_type="image/jpeg",
        size=len(original),
        alt_text="Polizeiauto vor dem Revier",
        position=2,
    )
    result = prepare_for(asset, RULES, network="X")
    assert result.alt_text == "Polizeiauto vor dem Revier"
    assert result.filename == "media-2.jpg"
    assert not Image.open(io.BytesIO(result.content)).getexif().get_ifd(GPS_IFD)


# --- video -----------------------------------------------------------------

VIDEO_RULES = MediaRules(
    video_types=("video/mp4", "video/quicktime"),
    max_video_bytes=2000,
    max_video_seconds=140,
)


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mvhd(seconds: int, scale: int = 1000) -> bytes:
    # version 0: flags, created, modified, timescale, duration, then the rest.
    return box(
        b"mvhd", struct.pack(">IIIII", 0, 0, 0, scale, seconds * scale) + bytes(80)
    )


def mp4(seconds: int = 10, *, location: bytes = b"+51.0500+013.7400/") -> bytes:
    udta = box(
        b"udta", box(b"\xa9xyz", struct.pack(">HH", len(location), 0) + location)
    )
    meta = box(b"meta", bytes(4) + box(b"hdlr", bytes(24)))
    trak = box(b"trak", box(b"tkhd", bytes(84)) + box(b"udta", box(b"name", b"Kam 3")))
    moov = box(b"moov", mvhd(seconds) + trak + udta + meta)
    xmp = box(b"uuid", media.XMP_UUID + b"<x:xmpmeta>GPSLatitude 51,3N</x:xmpmeta>")
    ftyp = box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41")
    return ftyp + moov + xmp + box(b"mdat", bytes(64))


def test_it_blanks_the_place_a_video_was_recorded() -> None:
    original = mp4()
    assert b"+51.0500+013.7400" in original
    assert b"GPSLatitude" in original
    result = prepare_for((original, "video/mp4", "Video"), VIDEO_RULES)
    assert result.mime_type == "video/mp4"
    assert len(result.content) == len(original)  # every offset stays valid
    assert b"+51.0500" not in result.content
    assert b"Kam 3" not in result.content
    assert b"udta" not in result.content
    assert b"GPSLatitude" not in result.content
    kinds = [
        kind for kind, *_ in media.mp4_boxes(result.content, 0, len(result.content))
    ]
    assert kinds == [b"ftyp", b"moov", b"free", b"mdat"]
    assert media.mp4_duration(result.content) == 10


def test_it_refuses_video_outside_the_network_limits() -> None:
    with pytest.raises(MediaError, match=r"^X accepts videos up to 140 seconds\.$"):
        prepare_for((mp4(seconds=141), "video/mp4", ""), VIDEO_RULES, network="X")
    with pytest.raises(MediaError, match=r"^X accepts videos up to 2 KB\.$"):
        prepare_for((mp4() + bytes(2000), "video/mp4", ""), VIDEO_RULES, network="X")
    with pytest.raises(MediaError, match=r"^X accepts video only as MP4, QUICKTIME\.$"):
        prepare_for((b"\x1a\x45\xdf\xa3", "video/webm", ""), VIDEO_RULES, network="X")
    with pytest.raises(MediaError, match=r"^Bluesky accepts no video from us\.$"):
        prepare_for((mp4(), "video/mp4", ""), MediaRules(), network="Bluesky")
    with pytest.raises(MediaError, match="not the video it claims"):
        prepare_for((b"<html>not a video</html>", "video/mp4", ""), VIDEO_RULES)


# --- captions --------------------------------------------------------------

SRT = (
    b"1\n00:00:01,000 --> 00:00:04,000\nDie Polizei bittet um Hinweise.\n\n"
    b"2\n00:00:04,500 --> 00:01:02,250\nZweite Zeile\nmit Umbruch\n"
)
VTT = (
    "\ufeffWEBVTT - Hinweise\n\nNOTE geprüft\n\n"
    "intro\n00:01.000 --> 00:04.000 align:start\nHallo\n\n"
    "01:00:00.000 --> 01:00:02.500\nEnde\n"
).encode()


def test_it_reads_srt_captions() -> None:
    cues = media.parse_captions(SRT)
    assert [(c.start, c.end) for c in cues] == [(1.0, 4.0), (4.5, 62.25)]
    assert cues[1].text == "Zweite Zeile\nmit Umbruch"
    result = prepare_for((SRT, "application/x-subrip", ""), VIDEO_RULES)
    assert result.mime_type == "application/x-subrip"


def test_it_reads_webvtt_captions() -> None:
    cues = media.parse_captions(VTT)
    assert [(c.start, c.end, c.text) for c in cues] == [
        (1.0, 4.0, "Hallo"),
        (3600.0, 3602.5, "Ende"),
    ]
    assert prepare_for((VTT, "text/vtt", ""), VIDEO_RULES).mime_type == "text/vtt"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"1\n00:00:01 --> 00:00:04\nx\n", "Line 2 .* no valid time"),
        (b"1\n00:00:04,000 --> 00:00:01,000\nx\n", "Line 2 .* ends before it starts"),
        (b"1\n00:61:00,000 --> 00:62:00,000\nx\n", "Line 2"),
        (b"WEBVTTX\n\n00:01.000 --> 00:02.000\nx\n", "must be .WEBVTT"),
        (b"WEBVTT\n", "holds no captions"),
        ("1\n00:00:01,000 --> 00:00:02,000\nä\n".encode("latin-1"), "UTF-8"),
    ],
)
def test_it_names_what_is_wrong_with_captions(content: bytes, message: str) -> None:
    with pytest.raises(MediaError, match=message):
        media.parse_captions(content)


# --- geometry per network ----------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((3000, 500), (1440, 754)),  # a panorama gets bars above and below
        ((900, 1600), (1152, 1440)),  # 9:16 gets bars left and right -> 4:5
        ((1000, 1000), (1000, 1000)),  # square is fine
    ],
)
def test_it_fits_pictures_into_instagrams_aspect_ratios(
    size: tuple[int, int], expected: tuple[int, int]
) -> None:
    original = photo(size, color=(10, 10, 200))
    result = prepare_for((original, "image/jpeg", "x"), JPEG_ONLY, network="Instagram")
    image = Image.open(io.BytesIO(result.content))
    assert image.size == pytest.approx(expected, abs=1)
    assert 0.8 <= image.width / image.height <= 1.91
    if size != (1000, 1000):
        assert min(image.getpixel((0, 0))) > 240  # a white bar
        middle = image.getpixel((image.width // 2, image.height // 2))
        assert middle[2] > 150 and middle[0] < 60  # the picture itself


def test_it_caps_the_side_per_network() -> None:
    original = photo((3000, 2000))
    for network, side in (("Bluesky", 2000), ("X", 3000), ("facebook", 2048)):
        result = prepare_for((original, "image/jpeg", "x"), RULES, network=network)
        assert max(Image.open(io.BytesIO(result.content)).size) == side


def test_it_keeps_bars_transparent_on_a_transparent_png() -> None:
    original = photo((100, 2500), fmt="PNG", mode="RGBA", color=(0, 0, 255, 128))
    result = prepare_for((original, "image/png", "x"), RULES, network="Telegram")
    image = Image.open(io.BytesIO(result.content))
    assert image.width / image.height >= 0.05 - 0.001
    assert image.getpixel((0, 0))[3] == 0
