"""Private photo uploads (requests, later project attachments and visits).

`image_accept` decides by content, never by file name or the browser's content type: only JPEG,
PNG and WebP pass. `read_upload` also refuses a photo whose name or content type claims another
kind of file (`upload.type_mismatch`, wushe.core.uploads). `image_accept` refuses oversized
files before parsing (`image.too_large`, 413), images with too many pixels before decoding them
(`image.too_many_pixels`, decompression bombs) and files that do not decode (`image.corrupt`).
What passes is re-encoded: EXIF orientation is applied, then every piece of metadata is dropped
(EXIF with the GPS position, XMP, comments; a photo's location is sensitive personal
information under PIPL art. 28), keeping only the colour profile. A JPEG thumbnail comes with
it.

`image_store` writes both through `default_storage` only (docs/architecture.md §6.3.8: no
`.path`, so an S3-compatible backend is a setting) under random names in `private/<prefix>/`;
`image_response` streams one back. Nothing here checks who may see a picture: the caller's view
does that first, and only then calls `image_response`.

Settings (`settings.WUSHE[...]`, else the environment variable, else the default):
`IMAGE_MAX_BYTES` / `WUSHE_IMAGE_MAX_BYTES` (10 MiB), `IMAGE_MAX_PIXELS` /
`WUSHE_IMAGE_MAX_PIXELS` (40 000 000), `IMAGE_THUMBNAIL_PX` / `WUSHE_IMAGE_THUMBNAIL_PX` (320).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from wushe.core.errors import ValidationFailed
from wushe.core.uploads import (
    IMAGE,
    family_of_content,
    not_an_image_message,
    refuse_declared_mismatch,
    sniff,
)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_THUMBNAIL_PX = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
# Formats Pillow may even try: anything else is refused before a decoder runs.
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
SERVED_TYPES = frozenset({"image/jpeg", "image/png"})
_PREFIX_RE = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*$")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def _conf(name: str, default: int) -> int:
    wushe = getattr(settings, "WUSHE", {})
    if name in wushe:
        return int(wushe[name])
    return int(os.environ.get(f"WUSHE_{name}", "") or default)


def max_bytes() -> int:
    return _conf("IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_pixels() -> int:
    return _conf("IMAGE_MAX_PIXELS", DEFAULT_MAX_PIXELS)


def thumbnail_px() -> int:
    return _conf("IMAGE_THUMBNAIL_PX", DEFAULT_THUMBNAIL_PX)


@dataclass(frozen=True)
class AcceptedImage:
    """A checked, cleaned image, ready to store. `content` has no metadata but the colour
    profile; `sha256` is of `content` (for duplicate detection), not of the upload."""

    content: bytes
    content_type: str  # "image/jpeg" or "image/png"
    width: int
    height: int
    thumbnail: bytes  # always JPEG
    thumbnail_width: int
    thumbnail_height: int
    sha256: str
    source_format: str  # "JPEG", "PNG" or "WEBP": what was uploaded

    thumbnail_content_type = "image/jpeg"

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def extension(self) -> str:
        return "png" if self.content_type == "image/png" else "jpg"


@dataclass(frozen=True)
class StoredImage:
    """Where `image_store` put an image. Keep all of it on the owning row (e.g. a request
    photo): `name`/`thumbnail_name` are `default_storage` names, never shown to users."""

    name: str
    thumbnail_name: str
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    thumbnail_content_type: str = "image/jpeg"


def _too_large(limit: int) -> ValidationFailed:
    return ValidationFailed(
        _("图片过大，单张不能超过 %(mb)s MB。") % {"mb": _mb(limit)},
        code="image.too_large",
        status=413,
    )


def _mb(limit: int) -> str:
    value = limit / (1024 * 1024)
    return f"{value:.0f}" if value >= 1 else f"{value:.1f}"


def _is_heif(data: bytes) -> bool:
    # ISO base media file: size(4) 'ftyp' brand(4) …
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def read_upload(upload: IO[bytes] | Any) -> bytes:
    """The bytes of an uploaded file (Django `UploadedFile` or any binary file object), reading
    at most one byte past the limit, so a huge upload is refused without being read whole."""
    limit = max_bytes()
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise _too_large(limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _too_large(limit)
    if family_of_content(sniff(data)) == IMAGE:
        # A photo named `x.exe`, `x.svg` or sent as text/html is refused (upload.type_mismatch);
        # bytes that are no image at all are left to `image_accept` (image.type).
        refuse_declared_mismatch(
            IMAGE,
            file_name=getattr(upload, "name", "") or "",
            content_type=getattr(upload, "content_type", "") or "",
        )
    return bytes(data)


def image_accept(data: bytes, *, file_name: str = "") -> AcceptedImage:
    """Check an uploaded image by its content and return a cleaned copy plus thumbnail.

    `file_name` is accepted for callers' convenience and ignored: the type comes from the
    bytes alone, so a GIF renamed `.jpg` is still refused.
    Raises ValidationFailed with code `image.too_large` (413), `image.type`,
    `image.too_many_pixels` or `image.corrupt` (422)."""
    del file_name  # deliberately unused: a name says nothing about the content
    limit = max_bytes()
    if len(data) > limit:
        raise _too_large(limit)
    if not data:
        raise ValidationFailed(_("图片文件是空的。"), code="image.corrupt")
    if _is_heif(data):
        raise ValidationFailed(
            _(
                "暂不支持 HEIC/HEIF 格式的照片。请把手机相机的照片格式改为“兼容性最佳”"
                "（iPhone：设置 › 相机 › 格式 › 兼容性最佳），或截图后再上传。"
            ),
            code="image.type",
        )

    pixel_limit = max_pixels()
    try:
        with warnings.catch_warnings():
            # We enforce our own pixel limit below; Pillow's warning would only add noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise _too_many_pixels(pixel_limit) from None
    except UnidentifiedImageError:
        raise ValidationFailed(not_an_image_message(sniff(data)), code="image.type") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise _corrupt() from exc

    with image:
        source_format = str(image.format)
        width, height = image.size
        if width <= 0 or height <= 0 or width * height > pixel_limit:
            raise _too_many_pixels(pixel_limit)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image.load()
                upright = ImageOps.exif_transpose(image)
        except Image.DecompressionBombError:
            raise _too_many_pixels(pixel_limit) from None
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise _corrupt() from exc

    icc_profile = image.info.get("icc_profile")
    clean = _without_metadata(upright)
    has_alpha = _has_alpha(clean)
    keep_png = source_format == "PNG" or (source_format == "WEBP" and has_alpha)

    out = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
    if keep_png:
        if clean.mode not in {"1", "L", "LA", "RGB", "RGBA", "P", "I;16"}:
            clean = clean.convert("RGBA" if has_alpha else "RGB")
        clean.save(out, format="PNG", optimize=True, **extra)
        content_type = "image/png"
    else:
        clean = _flatten(clean)
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, **extra)
        content_type = "image/jpeg"
    content = out.getvalue()

    thumb = _flatten(clean.copy())
    side = thumbnail_px()
    thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=THUMBNAIL_QUALITY, optimize=True)

    return AcceptedImage(
        content=content,
        content_type=content_type,
        width=clean.width,
        height=clean.height,
        thumbnail=thumb_out.getvalue(),
        thumbnail_width=thumb.width,
        thumbnail_height=thumb.height,
        sha256=hashlib.sha256(content).hexdigest(),
        source_format=source_format,
    )


def _too_many_pixels(limit: int) -> ValidationFailed:
    return ValidationFailed(
        _("图片尺寸过大（超过 %(mp)s 百万像素），请缩小后再上传。") % {"mp": limit // 1_000_000},
        code="image.too_many_pixels",
    )


def _corrupt() -> ValidationFailed:
    return ValidationFailed(_("图片文件已损坏或不完整，请重新拍摄或选择。"), code="image.corrupt")


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )


def _without_metadata(image: Image.Image) -> Image.Image:
    """A copy of the pixels with no metadata at all (EXIF, XMP, comments, text chunks).
    Copying the pixel data is the only way that is certain not to carry anything along."""
    mode = image.mode
    if mode == "P":
        transparency = image.info.get("transparency")
        clean = Image.frombytes(mode, image.size, image.tobytes())
        palette = image.getpalette()
        if palette is not None:
            clean.putpalette(palette)
        if transparency is not None:
            clean.info["transparency"] = transparency
        return clean
    if mode not in {"1", "L", "LA", "RGB", "RGBA", "I;16", "CMYK", "YCbCr", "I", "F"}:
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    return Image.frombytes(image.mode, image.size, image.tobytes())


def _flatten(image: Image.Image) -> Image.Image:
    """RGB (or L) for JPEG: transparent areas become white."""
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in {"RGB", "L"}:
        return image
    return image.convert("RGB")


def _check_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    if not _PREFIX_RE.match(prefix):
        raise ValueError(f"image prefix {prefix!r} must be lower-case path segments")
    return prefix


def image_store(image: AcceptedImage, *, prefix: str) -> StoredImage:
    """Save the image and its thumbnail as `private/<prefix>/YYYY/MM/<random>.<ext>` and
    `…/<random>_t.jpg`. Names are random (never the uploader's file name). Call it before the
    database write that records the names; if that write fails, `image_delete` both."""
    folder = f"private/{_check_prefix(prefix)}/{timezone.now():%Y/%m}"
    stem = secrets.token_hex(16)
    name = default_storage.save(f"{folder}/{stem}.{image.extension}", ContentFile(image.content))
    try:
        thumbnail_name = default_storage.save(
            f"{folder}/{stem}_t.jpg", ContentFile(image.thumbnail)
        )
    except Exception:
        default_storage.delete(name)
        raise
    return StoredImage(
        name=name,
        thumbnail_name=thumbnail_name,
        content_type=image.content_type,
        size=image.size,
        width=image.width,
        height=image.height,
        sha256=image.sha256,
    )


def image_response(
    name: str, content_type: str, *, max_age: int = 3600, download_name: str = ""
) -> FileResponse:
    """Stream a stored image to the browser.

    The CALLER checks permission first (e.g. "may this user see this request?") and passes
    the name from its own row; never a name taken from the URL or the user. The response is
    private to the browser (`Cache-Control: private`, no shared caches), never sniffed as
    something else (`nosniff`, a sandboxing CSP) and shown inline. Raises Http404 when the
    file is missing (the API handler and Django pages both answer 404)."""
    if content_type not in SERVED_TYPES:
        content_type = "application/octet-stream"
    if not name.startswith("private/") or ".." in name.split("/"):
        raise Http404
    try:
        handle = default_storage.open(name, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = f"private, max-age={max(0, int(max_age))}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    extension = "png" if content_type == "image/png" else "jpg"
    filename = download_name or f"photo.{extension}"
    response["Content-Disposition"] = f'inline; filename="{_ascii_name(filename)}"'
    return response


def _ascii_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:80]
    return cleaned or "photo"


def image_delete(name: str) -> None:
    """Delete a stored file; a missing one is not an error (deleting twice is harmless)."""
    if name:
        default_storage.delete(name)
