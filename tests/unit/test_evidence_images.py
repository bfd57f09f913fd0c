"""Evidence files from their bytes: the type (never the name), scaling, metadata stripped, bombs
refused, thumbnails; and the local-directory store."""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import pytest
from minilok_meetings.config import MeetingsSettings
from minilok_meetings.documents import evidence_files
from minilok_meetings.documents.evidence_files import (
    MAX_BYTES,
    EvidenceFileError,
    FileTooLarge,
    UnsupportedType,
    fitted,
    prepare,
)
from minilok_meetings.evidence_store import LocalStore, MissingObject
from PIL import ExifTags, Image, ImageCms
from pydantic import ValidationError
from reportlab.pdfgen import canvas


def jpeg_with_gps(size=(3000, 2000), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Kader Phone 7"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S", ExifTags.GPS.GPSLatitude: (1.0, 7.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E", ExifTags.GPS.GPSLongitude: (116.0, 50.0, 10.0),
    }
    out = BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90, comment=b"Jl. Sudirman RT 12")
    return out.getvalue()


def png(size=(800, 600), mode="RGB", color=(10, 200, 10)) -> bytes:
    out = BytesIO()
    Image.new(mode, size, color).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    out = BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Laporan kegiatan posyandu")
    page.showPage()
    page.save()
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(BytesIO(data))
    image.load()
    return image


# --- the type comes from the bytes -------------------------------------------------------------


def test_jpeg_png_webp_and_pdf_are_recognised_by_their_bytes():
    webp = BytesIO()
    Image.new("RGB", (500, 400), (200, 50, 50)).save(webp, "WEBP")
    assert prepare(jpeg_with_gps((400, 300))).content_type == "image/jpeg"
    assert prepare(png()).content_type == "image/jpeg"  # an opaque PNG is a photo: JPEG
    assert prepare(webp.getvalue()).content_type == "image/jpeg"
    document = pdf()
    stored = prepare(document)
    assert stored.content_type == "application/pdf" and stored.data == document  # kept as it is
    assert stored.thumbnail is None and stored.width is None


def test_a_png_named_pdf_is_an_image_and_a_text_file_named_jpg_is_refused():
    # The caller's file name never reaches the decision: prepare() sees only bytes.
    assert prepare(png()).content_type == "image/jpeg"
    with pytest.raises(UnsupportedType) as refused:
        prepare(b"Ini bukan foto, hanya teks.\n" * 20)
    assert refused.value.status == 415
    with pytest.raises(UnsupportedType):
        prepare(b"GIF89a" + b"\0" * 100)  # a GIF is an image, but not one we take
    with pytest.raises(UnsupportedType):
        prepare(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")


def test_a_file_that_only_starts_like_a_pdf_or_a_jpeg_is_refused():
    with pytest.raises(EvidenceFileError) as damaged_pdf:
        prepare(b"%PDF-1.7\n" + b"not really a pdf\n" * 50)
    assert damaged_pdf.value.status == 422
    whole = jpeg_with_gps((1200, 900))
    with pytest.raises(EvidenceFileError) as truncated:
        prepare(whole[: len(whole) // 3])
    assert truncated.value.status == 422
    with pytest.raises(EvidenceFileError):
        prepare(b"")


def test_more_than_ten_megabytes_is_too_large():
    with pytest.raises(FileTooLarge) as refused:
        prepare(b"\xff\xd8\xff" + b"\0" * MAX_BYTES)
    assert refused.value.status == 413 and "10 MB" in str(refused.value)


# --- what is stored ----------------------------------------------------------------------------


def test_a_large_photo_is_scaled_to_1600_px_with_a_320_px_thumbnail():
    stored = prepare(jpeg_with_gps((4000, 3000)))
    assert (stored.width, stored.height) == (1600, 1200)
    assert opened(stored.data).size == (1600, 1200) and opened(stored.data).format == "JPEG"
    assert opened(stored.thumbnail).size == (320, 240) and stored.thumbnail_type == "image/jpeg"
    tall = prepare(png((900, 3600)))
    assert (tall.width, tall.height) == (400, 1600)
    assert opened(tall.thumbnail).size == (80, 320)


def test_a_small_image_is_not_enlarged():
    stored = prepare(png((300, 200)))
    assert opened(stored.data).size == (300, 200)
    assert opened(stored.thumbnail).size == (300, 200)
    assert fitted((300, 200), 1600) == (300, 200) and fitted((3200, 100), 1600) == (1600, 50)


def test_exif_with_the_gps_position_and_every_comment_are_gone():
    original = jpeg_with_gps()
    assert opened(original).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has a position
    stored = prepare(original)
    for data in (stored.data, stored.thumbnail):
        image = opened(data)
        assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
        assert b"Exif" not in data and b"PhoneMaker" not in data and b"Sudirman" not in data


def test_the_exif_orientation_is_applied_before_it_is_dropped():
    # Orientation 6: the camera held upright, the pixels stored sideways (landscape).
    stored = prepare(jpeg_with_gps((3000, 2000), orientation=6))
    assert (stored.width, stored.height) == (1067, 1600)
    assert opened(stored.data).size == (1067, 1600)


def test_transparency_keeps_png_and_an_unused_alpha_channel_does_not():
    see_through = prepare(png((600, 600), "RGBA", (255, 0, 0, 0)))
    assert see_through.content_type == "image/png" and opened(see_through.data).mode == "RGBA"
    assert opened(see_through.thumbnail).format == "PNG"
    opaque = prepare(png((600, 600), "RGBA", (255, 0, 0, 255)))
    assert opaque.content_type == "image/jpeg"


def _png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG header declaring a huge image, with a few bytes of pixel data."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    bomb = _png_declaring(30_000, 30_000)  # 900 megapixels in 100 bytes
    assert len(bomb) < 200
    with pytest.raises(EvidenceFileError) as refused:
        prepare(bomb)
    assert refused.value.status == 422
    # Just past our own limit, below Pillow's: refused by ours.
    with pytest.raises(EvidenceFileError, match="terlalu besar"):
        prepare(_png_declaring(8000, 6300))


def test_a_huge_jpeg_is_decoded_at_a_fraction_of_its_size():
    # 8000x8000 = 64 megapixels, over the limit at full size: libjpeg decodes it at 1/4 (2000x2000).
    out = BytesIO()
    Image.new("L", (8000, 8000), 128).save(out, "JPEG", quality=50)
    stored = prepare(out.getvalue())
    assert (stored.width, stored.height) == (1600, 1600)
    assert evidence_files.MAX_PIXELS < 8000 * 8000


# --- the local store ---------------------------------------------------------------------------


def test_the_local_store_writes_reads_streams_and_deletes(tmp_path):
    store = LocalStore(tmp_path / "evidence")
    store.put("7/abc.jpg", b"x" * 200_000, "image/jpeg")
    assert store.read("7/abc.jpg") == b"x" * 200_000
    assert [len(c) for c in store.stream("7/abc.jpg")] == [65536, 65536, 65536, 3392]
    assert not [p for p in (tmp_path / "evidence" / "7").iterdir() if p.name.startswith(".upload-")]
    store.delete("7/abc.jpg")
    with pytest.raises(MissingObject):
        store.stream("7/abc.jpg")
    with pytest.raises(MissingObject):
        store.read("../../etc/passwd")


def test_the_evidence_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MINILOK_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("MEETINGS_EVIDENCE_DIR", raising=False)
    assert MeetingsSettings().evidence_dir == str(tmp_path / "evidence")
    monkeypatch.setenv("MEETINGS_EVIDENCE_S3_URL", "s3://bukti/minilok")
    assert MeetingsSettings().evidence_s3_url == "s3://bukti/minilok"
    for wrong in ("https://bukti.example.org/minilok", "s3:///no-bucket"):
        monkeypatch.setenv("MEETINGS_EVIDENCE_S3_URL", wrong)
        with pytest.raises(ValidationError, match="s3://bucket/prefix"):
            MeetingsSettings()


def test_palette_cmyk_and_profiled_images_become_plain_srgb():
    palette = Image.new("P", (2000, 1000), 0)
    palette.putpalette([255, 255, 255, 200, 30, 30] + [0] * 762)
    palette.paste(1, (0, 0, 1000, 1000))
    out = BytesIO()
    palette.save(out, "PNG", transparency=0)
    stored = prepare(out.getvalue())
    assert stored.content_type == "image/png" and opened(stored.data).mode == "RGBA"
    assert (stored.width, stored.height) == (1600, 800)

    cmyk = BytesIO()
    Image.new("CMYK", (400, 300), (0, 255, 255, 0)).save(cmyk, "JPEG")
    assert opened(prepare(cmyk.getvalue()).data).mode == "RGB"

    profiled = BytesIO()
    Image.new("RGB", (400, 300), (250, 20, 20)).save(
        profiled, "JPEG", icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    result = opened(prepare(profiled.getvalue()).data)
    assert "icc_profile" not in result.info and result.mode == "RGB"
