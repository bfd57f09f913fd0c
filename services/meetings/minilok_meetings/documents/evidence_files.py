"""Evidence files judged by their bytes, never their name (JPEG, PNG, WebP or PDF) and prepared
for storage: images re-encoded without metadata, scaled down, with a thumbnail (pure: bytes in,
bytes out), and how a stored one is answered (`inline_response`, for the API and the dashboard).

Images become JPEG (quality 85); an image whose transparency is really used stays PNG, so that
a transparent diagram does not turn black. Colours are converted to sRGB from an embedded
profile, then every piece of metadata (EXIF with its GPS position, XMP, comments, the profile)
is left out. PDFs are kept as they are, once a parser has read their pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from starlette.responses import StreamingResponse

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
THUMBNAIL_SIDE = 320
# Pixels an image may have once decoded (JPEG decodes at 1/2, 1/4 or 1/8 scale when that still
# covers MAX_SIDE, so a 200-megapixel phone photo decodes at 12.5): 50 megapixels are 200 MB as
# RGBA, the most one upload may cost. A small file declaring more is a decompression bomb.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", PDF: "pdf"}
_SRGB = ImageCms.createProfile("sRGB")


class EvidenceFileError(ValueError):
    """A file that cannot be evidence; `status` is the HTTP answer (413, 415 or 422)."""

    status = 422


class FileTooLarge(EvidenceFileError):
    status = 413


class UnsupportedType(EvidenceFileError):
    status = 415


@dataclass(frozen=True)
class PreparedFile:
    """What is stored: the file itself and, for an image, its thumbnail."""

    content_type: str
    data: bytes
    width: int | None = None
    height: int | None = None
    thumbnail: bytes | None = None
    thumbnail_type: str | None = None

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]


def prepare(data: bytes) -> PreparedFile:
    """The file as it will be stored, or an `EvidenceFileError` saying why not."""
    if len(data) > MAX_BYTES:
        raise FileTooLarge(f"berkas lebih dari {MAX_BYTES // (1024 * 1024)} MB / file larger than "
                           f"{MAX_BYTES // (1024 * 1024)} MB")
    if not data:
        raise EvidenceFileError("berkas kosong / the file is empty")
    if data.startswith(b"%PDF-"):
        return _pdf(data)
    return _image(data)


def fitted(size: tuple[int, int], side: int) -> tuple[int, int]:
    """`size` scaled down (never up) so that its long side is at most `side`."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _image(data: bytes) -> PreparedFile:
    try:
        # Only these decoders: a file never reaches Pillow's others (EPS would run Ghostscript).
        with Image.open(BytesIO(data), formats=tuple(IMAGE_TYPES)) as image:
            if image.format in ("JPEG", "MPO"):  # MPO: a phone's JPEG with a second picture
                image.draft(image.mode, fitted(image.size, MAX_SIDE))  # decode at a fraction of the size
            if image.width * image.height > MAX_PIXELS:
                raise EvidenceFileError(f"gambar {image.width}x{image.height} piksel terlalu besar / "
                                        f"image of {image.width}x{image.height} pixels is too large")
            image.load()
            picture = _clean(ImageOps.exif_transpose(_scaled(image)))
    except EvidenceFileError:
        raise
    except UnidentifiedImageError as exc:
        raise UnsupportedType("jenis berkas tidak didukung: hanya JPEG, PNG, WebP atau PDF / "
                              "unsupported file type: JPEG, PNG, WebP or PDF only") from exc
    except Image.DecompressionBombError as exc:
        raise EvidenceFileError("gambar terlalu besar / image too large") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or damaged image data
        raise EvidenceFileError("gambar rusak atau terpotong / the image is damaged or truncated") from exc
    content_type = "image/png" if picture.mode == "RGBA" else "image/jpeg"
    small = picture.copy()
    small.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return PreparedFile(content_type=content_type, data=_encode(picture, JPEG_QUALITY),
                        width=picture.width, height=picture.height,
                        thumbnail=_encode(small, THUMBNAIL_QUALITY), thumbnail_type=content_type)


def _scaled(image: Image.Image) -> Image.Image:
    """At most MAX_SIDE px a side, scaled first so that the later copies are small. A square box:
    the same before and after the EXIF rotation. Palette and 1-bit images become RGB(A) first,
    else they would be resized pixel by pixel."""
    if image.mode in ("P", "PA", "1"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")  # keeps EXIF and profile
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return image


def _clean(image: Image.Image) -> Image.Image:
    """RGB (or L, or RGBA when some pixel is see-through) in sRGB, with no metadata left."""
    profile = image.info.get("icc_profile")
    if profile and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            image = ImageCms.profileToProfile(image, ImageCms.ImageCmsProfile(BytesIO(profile)), _SRGB,
                                              outputMode="RGBA" if image.mode == "RGBA" else "RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: the colours as they are
    if image.has_transparency_data:
        image = image.convert("RGBA")
        if image.getchannel("A").getextrema()[0] == 255:  # an alpha channel nothing uses
            image = image.convert("RGB")
    elif image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    else:
        image = image.copy()
    image.info = {}  # EXIF (GPS), XMP, comments, the ICC profile: what save() would otherwise copy
    return image


def _encode(image: Image.Image, quality: int) -> bytes:
    out = BytesIO()
    if image.mode == "RGBA":
        image.save(out, "PNG")
    else:
        image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def _pdf(data: bytes) -> PreparedFile:
    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")  # permissions-only encryption opens with the empty password
        pages = len(reader.pages)
    except Exception as exc:  # any failure of the parser on uploaded bytes is the file's, not ours
        raise EvidenceFileError("PDF rusak atau terkunci kata sandi / the PDF is damaged or "
                                "password-protected") from exc
    if pages < 1:
        raise EvidenceFileError("PDF tanpa halaman / the PDF has no pages")
    return PreparedFile(content_type=PDF, data=data)


def inline_response(chunks: Iterable[bytes], content_type: str, name: str,
                    size: int | None = None) -> StreamingResponse:
    """A stored file shown in place, never sniffed into another type, cached by the browser only."""
    headers = {"Content-Disposition": f'inline; filename="{name}.{EXTENSIONS[content_type]}"',
               "X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    if size is not None:
        headers["Content-Length"] = str(size)
    if content_type != PDF:
        # Opened on its own, an image runs nothing; a browser's PDF viewer needs scripts of its own.
        headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return StreamingResponse(chunks, media_type=content_type, headers=headers)
