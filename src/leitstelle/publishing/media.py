"""Prepare attachments for one network: clean, convert, shrink, validate.

`prepare_for(asset, rules)` returns the `Media` a connector sends:

- images are decoded and encoded anew with Pillow, so nothing of the original
  file survives but the pixels: no EXIF (GPS position, camera, time), no XMP,
  no comments, no ICC profile (colours are converted to sRGB first); the EXIF
  orientation is applied to the pixels; the picture is scaled to the
  network's largest side and encoded until it fits the network's byte limit;
  a picture with transparency stays PNG where the network takes PNG;
- videos are checked for type and size; their user metadata boxes (the
  place a phone recorded them, camera, owner) are blanked in place;
- captions (SRT or WebVTT) are parsed, every timestamp checked.

What cannot be made to fit raises `MediaError`, whose message names the limit
in plain words ("Instagram accepts images up to 8 MB").
"""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import regex
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from leitstelle.networks.base import Media, MediaRules

# Longest side sent; networks downscale anything larger anyway
# (Mastodon to 8.3 MP, Bluesky's app to 2,000 px, Instagram to 1,440 px wide).
MAX_SIDE = 4096
MIN_SIDE = 320  # smaller than this is no longer worth posting
MAX_PIXELS = 60_000_000  # refuse decompression bombs before decoding
JPEG_QUALITIES = (88, 80, 72, 64)
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "text/vtt": "vtt",
    "application/x-subrip": "srt",
}
LOSSLESS = frozenset({"PNG", "GIF", "BMP", "TIFF"})
CAPTION_TYPES = ("text/vtt", "application/x-subrip", "text/plain", "text/srt")


@dataclass(frozen=True)
class Geometry:
    """The picture sizes a network takes; `min_ratio`/`max_ratio` are
    width / height, and a picture outside gets bars rather than a crop."""

    max_side: int = MAX_SIDE
    min_ratio: float | None = None
    max_ratio: float | None = None


# Per network label (Connector.label). Instagram: 320-1,440 px wide, aspect
# ratio 4:5 to 1.91:1; Threads: 1,440 px wide, at most 10:1; Bluesky's app
# sends 2,000 px; Telegram: width + height at most 10,000, ratio at most 20.
GEOMETRY: dict[str, Geometry] = {
    "instagram": Geometry(max_side=1440, min_ratio=0.8, max_ratio=1.91),
    "threads": Geometry(max_side=1440, min_ratio=0.1, max_ratio=10.0),
    "bluesky": Geometry(max_side=2000),
    "facebook": Geometry(max_side=2048),
    "telegram": Geometry(max_side=4096, min_ratio=0.05, max_ratio=20.0),
}


def geometry_for(network: str) -> Geometry:
    return GEOMETRY.get(network.strip().casefold(), Geometry())


class MediaError(ValueError):
    """An attachment the network would refuse; `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Cue:
    start: float  # seconds
    end: float
    text: str


def prepare_for(
    asset: Any,
    rules: MediaRules,
    *,
    network: str = "",
    max_side: int | None = None,
) -> Media:
    """Return `asset` ready for a network with `rules`, or raise MediaError.

    `asset` is a MediaAsset (reads `file`, `mime_type`, `alt_text`, `kind`,
    `position`) or a
    tuple `(content, mime, alt_text)`.
    """
    content, mime, alt_text, kind, name = unpack(asset)
    geometry = geometry_for(network)
    if max_side is not None:
        geometry = replace(geometry, max_side=max_side)
    network = network or _("This network")
    if kind == "captions" or mime in CAPTION_TYPES:
        parse_captions(content)
        vtt = content.lstrip(b"\xef\xbb\xbf").startswith(b"WEBVTT")
        mime = "text/vtt" if vtt else "application/x-subrip"
        return Media(content=content, mime_type=mime, filename=f"{name}.{ext(mime)}")
    if kind == "video" or mime.startswith("video/"):
        return prepare_video(content, mime, rules, network=network, alt_text=alt_text)
    data, mime = prepare_image(content, rules, network=network, geometry=geometry)
    return Media(
        content=data,
        mime_type=mime,
        alt_text=alt_text[: rules.alt_text_length] if rules.alt_text_length else "",
        filename=f"{name}.{ext(mime)}",
    )


def unpack(asset: Any) -> tuple[bytes, str, str, str, str]:
    if isinstance(asset, tuple):
        content, mime, alt_text = asset
        kind = "video" if mime.startswith("video/") else "image"
        return content, mime, alt_text or "", kind, "media"
    with asset.file.open("rb") as handle:
        content = handle.read()
    position = getattr(asset, "position", None)
    name = f"media-{position}" if position is not None else "media"
    kind = getattr(asset, "kind", "") or "image"
    mime = getattr(asset, "mime_type", None) or asset.mime
    return content, mime, asset.alt_text or "", kind, name


def ext(mime: str) -> str:
    return EXTENSIONS.get(mime, "bin")


def human_size(size: int) -> str:
    """8388608 -> "8 MB", 1000000 -> "1 MB", 1500000 -> "1.4 MB"."""
    units = (("GB", 1024**3, 10**9), ("MB", 1024**2, 10**6), ("KB", 1024, 1000))
    for unit, binary, decimal in units:
        if size >= decimal:
            for base in (binary, decimal):
                if size % base == 0:
                    return f"{size // base} {unit}"
            return f"{size / binary:.1f} {unit}"
    return f"{size} bytes"


# --- images ----------------------------------------------------------------


def prepare_image(
    content: bytes,
    rules: MediaRules,
    *,
    network: str,
    geometry: Geometry | None = None,
) -> tuple[bytes, str]:
    """Return (bytes, mime) of a clean copy of the image that fits `rules`."""
    too_big = _("%(network)s accepts images up to %(limit)s.") % {
        "network": network,
        "limit": human_size(rules.max_image_bytes),
    }
    image = open_image(content)
    lossless = image.format in LOSSLESS
    image = ImageOps.exif_transpose(image) or image
    image = to_srgb(image)
    transparent = has_alpha(image)
    targets = choose_formats(rules, transparent=transparent, lossless=lossless)
    if not targets:
        raise MediaError(
            _("%(network)s accepts no images from us.") % {"network": network}
        )
    geometry = geometry or Geometry()
    image = flatten(image, keep_alpha=targets[0] == "PNG" and transparent)
    image = pad_to_ratio(image, geometry)
    image.thumbnail((geometry.max_side, geometry.max_side), Image.Resampling.LANCZOS)
    while True:
        for target in targets:
            for data in encodings(image, target):
                if len(data) <= rules.max_image_bytes:
                    return data, f"image/{target.lower()}"
        if min(image.size) * 3 // 4 < MIN_SIDE:
            raise MediaError(too_big)
        smaller = (image.width * 3 // 4, image.height * 3 // 4)
        image = image.resize(smaller, Image.Resampling.LANCZOS)


def pad_to_ratio(image: Image.Image, geometry: Geometry) -> Image.Image:
    """Add white (or transparent) bars so the ratio is within the limits."""
    width, height = image.size
    ratio = width / height
    if geometry.min_ratio and ratio < geometry.min_ratio:
        size = (math.ceil(height * geometry.min_ratio), height)
    elif geometry.max_ratio and ratio > geometry.max_ratio:
        size = (width, math.ceil(width / geometry.max_ratio))
    else:
        return image
    fill = (255, 255, 255, 0) if image.mode == "RGBA" else "white"
    canvas = Image.new(image.mode, size, fill)
    canvas.paste(image, ((size[0] - width) // 2, (size[1] - height) // 2))
    return canvas


def open_image(content: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(content))
        if image.width * image.height > MAX_PIXELS:
            raise MediaError(
                _("The image is too large (%(width)d by %(height)d pixels).")
                % {"width": image.width, "height": image.height}
            )
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise MediaError(
            _("The file is no image we can read: use JPEG or PNG.")
        ) from exc
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)  # an animation goes out as its first picture
    return image


def to_srgb(image: Image.Image) -> Image.Image:
    """Convert colours to sRGB so that the ICC profile can be dropped."""
    profile = image.info.get("icc_profile")
    if image.mode == "CMYK":
        image = image.convert("RGB")
    elif profile and image.mode in ("RGB", "RGBA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            image = (
                ImageCms.profileToProfile(
                    image,
                    source,
                    ImageCms.createProfile("sRGB"),
                    outputMode=image.mode,
                )
                or image
            )
        except (ImageCms.PyCMSError, OSError):
            pass  # a broken profile: keep the pixels as they are
    return image


def has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        return image.getextrema()[-1][0] < 255
    return image.mode == "P" and "transparency" in image.info


def choose_formats(
    rules: MediaRules, *, transparent: bool, lossless: bool
) -> list[str]:
    """Return the formats to try, best first.

    A picture with transparency stays PNG where the network takes PNG; a
    graphic (PNG, GIF, BMP, TIFF source) stays PNG while it fits, since JPEG
    blurs text; a photo becomes JPEG.
    """
    png = "image/png" in rules.image_types
    jpeg = "image/jpeg" in rules.image_types
    if transparent and png:
        return ["PNG"]
    if lossless and png:
        return ["PNG", "JPEG"] if jpeg else ["PNG"]
    return ["JPEG"] if jpeg else (["PNG"] if png else [])


def flatten(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """Return a fresh RGB(A) image with no metadata attached."""
    if keep_alpha:
        clean = image.convert("RGBA")
    elif image.mode in ("RGBA", "LA", "PA", "P"):
        rgba = image.convert("RGBA")
        clean = Image.new("RGB", rgba.size, (255, 255, 255))
        clean.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode == "L":
        clean = image.copy()
    else:
        clean = image.convert("RGB")
    clean.info = {}
    return clean


def encodings(image: Image.Image, target: str) -> Iterator[bytes]:
    """Yield encodings of `image`, each smaller than the one before."""
    if target == "PNG":
        yield encode(image, "PNG", optimize=True)
        return
    for quality in JPEG_QUALITIES:
        yield encode(image, "JPEG", quality=quality, optimize=True, progressive=True)


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    # No exif=, icc_profile=, comment= or xmp= options: nothing but pixels.
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# --- video -----------------------------------------------------------------

VIDEO_SIGNATURES = {
    "video/mp4": lambda data: data[4:8] == b"ftyp",
    "video/quicktime": lambda data: data[4:8] in (b"ftyp", b"moov", b"mdat", b"wide"),
    "video/webm": lambda data: data[:4] == b"\x1a\x45\xdf\xa3",
}
# Boxes that hold user metadata: location (©xyz, Apple's ISO6709 key),
# camera, owner, title. Blanking keeps every offset of the file valid.
METADATA_BOXES = frozenset({b"udta", b"meta"})
XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")
CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts"})


def prepare_video(
    content: bytes, mime: str, rules: MediaRules, *, network: str, alt_text: str = ""
) -> Media:
    values = {"network": network}
    if not rules.video_types:
        raise MediaError(_("%(network)s accepts no video from us.") % values)
    if mime not in rules.video_types:
        names = ", ".join(t.split("/")[-1].upper() for t in rules.video_types)
        raise MediaError(
            _("%(network)s accepts video only as %(types)s.")
            % {**values, "types": names}
        )
    signature = VIDEO_SIGNATURES.get(mime)
    if signature is not None and not signature(content):
        raise MediaError(_("The file is not the video it claims to be."))
    if rules.max_video_bytes and len(content) > rules.max_video_bytes:
        raise MediaError(
            _("%(network)s accepts videos up to %(limit)s.")
            % {**values, "limit": human_size(rules.max_video_bytes)}
        )
    if mime in ("video/mp4", "video/quicktime"):
        duration = mp4_duration(content)
        if rules.max_video_seconds and duration and duration > rules.max_video_seconds:
            raise MediaError(
                _("%(network)s accepts videos up to %(seconds)d seconds.")
                % {**values, "seconds": rules.max_video_seconds}
            )
        content = strip_mp4_metadata(content)
    return Media(
        content=content,
        mime_type=mime,
        alt_text=alt_text[: rules.alt_text_length] if rules.alt_text_length else "",
        filename=f"video.{ext(mime)}",
    )


def mp4_boxes(
    data: bytes | bytearray, start: int, end: int
) -> Iterator[tuple[bytes, int, int, int]]:
    """Yield (type, box start, payload start, box end) of ISO-BMFF boxes."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1 and position + 16 <= end:
            size = struct.unpack(">Q", data[position + 8 : position + 16])[0]
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            return  # truncated or broken: stop rather than guess
        yield bytes(kind), position, position + header, position + size
        position += size


def strip_mp4_metadata(content: bytes) -> bytes:
    """Blank udta/meta boxes in moov and its tracks; offsets stay valid."""
    data = bytearray(content)

    def walk(start: int, end: int) -> None:
        for kind, box, payload, box_end in mp4_boxes(data, start, end):
            if kind in METADATA_BOXES or (
                kind == b"uuid" and data[payload : payload + 16] == XMP_UUID
            ):
                data[box + 4 : box + 8] = b"free"
                data[payload:box_end] = bytes(box_end - payload)
            elif kind in CONTAINERS:
                walk(payload, box_end)

    walk(0, len(data))
    return bytes(data)


def mp4_duration(content: bytes) -> float | None:
    """Return the movie's duration in seconds from its mvhd box."""
    for kind, _box, payload, end in mp4_boxes(content, 0, len(content)):
        if kind != b"moov":
            continue
        for inner, _inner, start, _inner_end in mp4_boxes(content, payload, end):
            if inner != b"mvhd":
                continue
            version = content[start]
            if version == 1:
                scale, duration = struct.unpack(">IQ", content[start + 20 : start + 32])
            else:
                scale, duration = struct.unpack(">II", content[start + 12 : start + 20])
            return duration / scale if scale else None
    return None


# --- captions --------------------------------------------------------------

TIMING = regex.compile(
    r"^(?P<start>(?:\d{1,3}:)?\d{2}:\d{2}[.,]\d{3})[ \t]+-->[ \t]+"
    r"(?P<end>(?:\d{1,3}:)?\d{2}:\d{2}[.,]\d{3})(?:[ \t].*)?$"
)


def parse_captions(content: bytes) -> list[Cue]:
    """Parse SRT or WebVTT; raise MediaError naming the line that is wrong."""
    try:
        source = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MediaError(_("The captions file must be saved as UTF-8.")) from exc
    lines = source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    vtt = lines[0].startswith("WEBVTT")
    if vtt and len(lines[0]) > 6 and lines[0][6] not in " \t":
        raise MediaError(_("Line 1 of the captions file must be “WEBVTT”."))
    cues: list[Cue] = []
    number = 1 if vtt else 0
    while number < len(lines):
        line = lines[number].strip()
        if not line:
            number += 1
            continue
        if vtt and line.startswith(("NOTE", "STYLE", "REGION")):
            number = skip_block(lines, number)
            continue
        timing = TIMING.match(line)
        if timing is None and number + 1 < len(lines):
            number += 1  # a cue identifier (SRT: the running number)
            timing = TIMING.match(lines[number].strip())
        if timing is None:
            raise MediaError(
                _(
                    "Line %(line)d of the captions file has no valid time "
                    "“00:00:01,000 --> 00:00:04,000”."
                )
                % {"line": number + 1}
            )
        start, end = seconds(timing["start"]), seconds(timing["end"])
        if start is None or end is None or end <= start:
            raise MediaError(
                _("Line %(line)d of the captions file ends before it starts.")
                % {"line": number + 1}
            )
        number += 1
        text_lines = []
        while number < len(lines) and lines[number].strip():
            text_lines.append(lines[number])
            number += 1
        cues.append(Cue(start=start, end=end, text="\n".join(text_lines)))
    if not cues:
        raise MediaError(_("The captions file holds no captions."))
    return cues


def skip_block(lines: list[str], number: int) -> int:
    while number < len(lines) and lines[number].strip():
        number += 1
    return number


def seconds(stamp: str) -> float | None:
    parts = stamp.replace(",", ".").split(":")
    *rest, last = parts
    hours = int(rest[0]) if len(rest) == 2 else 0
    minutes = int(rest[-1])
    if minutes > 59 or float(last) >= 60:
        return None
    return hours * 3600 + minutes * 60 + float(last)
