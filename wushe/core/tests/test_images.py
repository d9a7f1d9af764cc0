"""Private photo uploads: type by content, limits, metadata stripped, private storage."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import ExifTags, Image

from wushe.core.errors import ValidationFailed
from wushe.core.images import (
    image_accept,
    image_delete,
    image_response,
    image_store,
    read_upload,
)


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    return tmp_path / "media"


def make_image(
    fmt: str = "JPEG",
    size: tuple[int, int] = (400, 200),
    mode: str = "RGB",
    color: object = (200, 30, 30),
    **save: object,
) -> bytes:
    image = Image.new(mode, size, color)  # type: ignore[arg-type]
    if mode == "RGB":
        # A marker in the top-left corner, to see where it ends up after rotation.
        for x in range(min(20, size[0])):
            for y in range(min(10, size[1])):
                image.putpixel((x, y), (0, 0, 255))
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (30.0, 30.0, 36.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (120.0, 41.0, 0.0)
    return exif


def refused(data: bytes, **kwargs: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        image_accept(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_jpeg_with_gps_is_stored_without_any_metadata():
    data = make_image(exif=gps_exif(), comment=b"taken at home")
    assert b"PhoneMaker" in data
    accepted = image_accept(data, file_name="IMG_0001.JPG")
    assert accepted.content_type == "image/jpeg"
    assert (accepted.width, accepted.height) == (400, 200)
    assert b"PhoneMaker" not in accepted.content
    assert b"Exif" not in accepted.content
    assert b"taken at home" not in accepted.content
    reopened = Image.open(io.BytesIO(accepted.content))
    assert dict(reopened.getexif()) == {}
    assert "exif" not in reopened.info
    assert "comment" not in reopened.info
    thumb = Image.open(io.BytesIO(accepted.thumbnail))
    assert dict(thumb.getexif()) == {}


def test_exif_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise to show it upright.
    accepted = image_accept(make_image(exif=gps_exif(orientation=6)))
    assert (accepted.width, accepted.height) == (200, 400)
    upright = Image.open(io.BytesIO(accepted.content)).convert("RGB")
    # The blue marker (top-left of the stored pixels) is now at the top right.
    r, _g, b = upright.getpixel((195, 5))  # type: ignore[misc]
    assert b > 150 and r < 100
    r, _g, b = upright.getpixel((5, 5))  # type: ignore[misc]
    assert r > 150 and b < 100


def test_png_stays_png_and_keeps_transparency():
    data = make_image("PNG", mode="RGBA", color=(0, 128, 0, 0))
    accepted = image_accept(data)
    assert accepted.content_type == "image/png"
    assert accepted.source_format == "PNG"
    reopened = Image.open(io.BytesIO(accepted.content))
    assert reopened.format == "PNG"
    assert reopened.mode == "RGBA"
    # The thumbnail is always a JPEG (transparent areas turn white).
    assert Image.open(io.BytesIO(accepted.thumbnail)).format == "JPEG"


def test_webp_is_accepted_as_jpeg():
    accepted = image_accept(make_image("WEBP"))
    assert accepted.source_format == "WEBP"
    assert accepted.content_type == "image/jpeg"
    assert Image.open(io.BytesIO(accepted.content)).format == "JPEG"


def test_thumbnail_long_side_is_320_pixels():
    accepted = image_accept(make_image(size=(1600, 900)))
    assert (accepted.thumbnail_width, accepted.thumbnail_height) == (320, 180)
    assert Image.open(io.BytesIO(accepted.thumbnail)).size == (320, 180)
    small = image_accept(make_image(size=(100, 50)))
    assert (small.thumbnail_width, small.thumbnail_height) == (100, 50)  # never enlarged


def test_thumbnail_size_follows_the_setting(settings):
    settings.WUSHE = {**settings.WUSHE, "IMAGE_THUMBNAIL_PX": 100}
    accepted = image_accept(make_image(size=(400, 200)))
    assert (accepted.thumbnail_width, accepted.thumbnail_height) == (100, 50)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (make_image("GIF", mode="P", color=1), "cat.jpg"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF", "scan.jpg"),
        (b"<!doctype html><html><script>alert(1)</script></html>", "photo.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "a.png"),
        (os.urandom(4096), "random.jpg"),
        (make_image("BMP"), "photo.jpg"),
        (make_image("TIFF"), "photo.jpg"),
    ],
    ids=["gif", "pdf", "html", "svg", "random", "bmp", "tiff"],
)
def test_anything_but_jpeg_png_webp_is_refused_whatever_its_name(data, name):
    error = refused(data, file_name=name)
    assert error.code == "image.type"
    assert error.status == 422
    assert "JPEG" in str(error.message)


def test_heic_is_refused_with_advice_to_switch_the_camera_format():
    heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    error = refused(heic, file_name="IMG_1234.HEIC")
    assert error.code == "image.type"
    assert "兼容性最佳" in str(error.message)


def test_too_large_is_413_before_parsing(settings):
    settings.WUSHE = {**settings.WUSHE, "IMAGE_MAX_BYTES": 1000}
    error = refused(make_image(size=(400, 400)))
    assert error.code == "image.too_large"
    assert error.status == 413
    # Even garbage that size is refused for size, not for type: nothing is parsed.
    assert refused(b"x" * 1001).code == "image.too_large"


def test_default_size_limit_is_ten_mebibytes():
    assert refused(b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024)).code == "image.too_large"


def test_read_upload_refuses_by_size_without_reading_everything(settings):
    settings.WUSHE = {**settings.WUSHE, "IMAGE_MAX_BYTES": 1000}
    with pytest.raises(ValidationFailed) as caught:
        read_upload(SimpleUploadedFile("a.jpg", b"x" * 5000, content_type="image/jpeg"))
    assert caught.value.code == "image.too_large"
    data = make_image(size=(10, 10))
    assert read_upload(io.BytesIO(data)) == data


def test_decompression_bomb_dimensions_are_refused_before_decoding(settings):
    # A tiny PNG that claims 20000 x 20000 pixels (400 MP): refused from its header alone.
    bomb = make_image("PNG", size=(20000, 20000), mode="1", color=0, optimize=True)
    assert len(bomb) < 200_000
    error = refused(bomb)
    assert error.code == "image.too_many_pixels"
    # The limit is a setting: a modest image over a small limit is refused the same way.
    settings.WUSHE = {**settings.WUSHE, "IMAGE_MAX_PIXELS": 10_000}
    assert refused(make_image(size=(200, 100))).code == "image.too_many_pixels"


def test_truncated_jpeg_is_corrupt():
    data = make_image(size=(800, 600))
    assert refused(data[: len(data) // 2]).code == "image.corrupt"


def test_empty_file_is_corrupt():
    assert refused(b"").code == "image.corrupt"


def test_store_uses_random_private_names_and_serves_privately(private_storage):
    accepted = image_accept(make_image(exif=gps_exif()), file_name="我的家.jpg")
    stored = image_store(accepted, prefix="requests")
    assert stored.name.startswith("private/requests/")
    assert stored.name.endswith(".jpg")
    assert stored.thumbnail_name.endswith("_t.jpg")
    assert "我的家" not in stored.name
    assert stored.sha256 == accepted.sha256
    assert stored.size == len(accepted.content)
    assert (stored.width, stored.height) == (400, 200)
    assert default_storage.exists(stored.name)
    assert default_storage.exists(stored.thumbnail_name)
    # Each upload gets a new name, even for identical content.
    assert image_store(accepted, prefix="requests").name != stored.name

    response = image_response(stored.name, stored.content_type)
    body = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert body == accepted.content
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"].startswith("private, max-age=")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    response.file_to_stream.close()  # (response.close() would signal request_finished)

    image_delete(stored.name)
    image_delete(stored.thumbnail_name)
    assert not default_storage.exists(stored.name)
    image_delete(stored.name)  # twice is harmless
    with pytest.raises(Http404):
        image_response(stored.name, stored.content_type)


def test_response_never_serves_a_non_image_type_or_a_path_outside_private():
    accepted = image_accept(make_image("PNG", mode="RGB"))
    stored = image_store(accepted, prefix="projects/attachments")
    assert stored.name.startswith("private/projects/attachments/")
    response = image_response(stored.name, "text/html")
    assert response["Content-Type"] == "application/octet-stream"
    response.file_to_stream.close()  # (response.close() would signal request_finished)
    with pytest.raises(Http404):
        image_response("../settings.py", "image/png")
    with pytest.raises(Http404):
        image_response("private/../../etc/passwd", "image/png")


def test_prefix_must_be_a_plain_path():
    accepted = image_accept(make_image(size=(10, 10)))
    with pytest.raises(ValueError):
        image_store(accepted, prefix="../escape")
