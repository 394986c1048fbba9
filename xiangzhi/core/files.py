"""Private files — document photos of change requests, photos of field visits: the storage outside the web root,
the check and re-encoding of a photo a phone sends, and the never-cached answer that serves one to who may see it.

A photo is checked by decoding it (Pillow), never by its name or content type, and stored re-encoded as a JPEG of
at most `PHOTO_MAX_EDGE` pixels on its long side: the re-encoding keeps the pixels only, so EXIF (the camera's GPS
position, its serial number, the time) never reaches the disk, and a file crafted to pass as an image is not kept
as sent. Apps keep the files of their own rows and decide how long (`STORAGES["private"]`).
"""

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

PHOTO_MAX_BYTES = 10 * 1024 * 1024  # what a phone's camera sends (a 12-megapixel JPEG is 3–6 MB)
PHOTO_MAX_PIXELS = 50_000_000  # decoding more is a decompression bomb, not a photo
PHOTO_MAX_EDGE = 1600  # enough to read a document or see a leaking roof; ~300 KB
THUMBNAIL_EDGE = 320
_FORMATS = ("JPEG", "PNG", "WEBP")
_QUALITY = 82


def private_storage() -> Storage:
    """Outside the web root (settings.STORAGES["private"]); read only through views that check scope."""
    return storages["private"]


def private_name(folder: str, town_id: int, extension: str = ".jpg") -> str:
    """An unguessable name that says nothing of the person (the storage is private anyway)."""
    return f"{folder}/{town_id}/{uuid.uuid4().hex}{extension}"


def photo_clean(upload, *, field: str = "photo", max_edge: int = PHOTO_MAX_EDGE) -> ContentFile:
    """The upload as a clean JPEG (EXIF dropped, turned upright, at most `max_edge` px on its long side), or a
    ValidationError on `field` naming the problem. Nothing is written."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(
            {field: _("The photo is too large (at most %(mb)d MB).") % {"mb": PHOTO_MAX_BYTES // 2**20}}
        )
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            pixels = probe.width * probe.height
            probe.verify()  # a truncated or corrupt file fails here, before anything is decoded
        if kind not in _FORMATS:
            raise ValidationError({field: _("Send a photo (JPEG or PNG).")})
        if pixels > PHOTO_MAX_PIXELS:
            raise ValidationError({field: _("The photo has too many pixels; take it again.")})
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            content = _jpeg(upright, max_edge)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({field: _("Send a photo (JPEG or PNG).")}) from None
    finally:
        upload.seek(0)
    return content


def photo_thumbnail(content: ContentFile, *, edge: int = THUMBNAIL_EDGE) -> ContentFile:
    """A small copy of a photo `photo_clean` made, for lists on a phone."""
    from PIL import Image

    content.seek(0)
    with Image.open(content) as image:
        image.load()
        small = _jpeg(image, edge)
    content.seek(0)
    return small


def _jpeg(image, max_edge: int) -> ContentFile:
    from PIL import Image

    if image.mode not in ("RGB", "L"):
        # a transparent PNG on white, as it would look on paper
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    else:
        image = image.copy()
    image.thumbnail((max_edge, max_edge))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=_QUALITY, optimize=True)  # no exif= : nothing of the original's kept
    return ContentFile(buffer.getvalue(), name="photo.jpg")


@contextmanager
def written_or_removed(storage: Storage) -> Iterator[list[str]]:
    """Names saved inside the block are deleted again if the block raises: a failed write leaves no file behind
    (its rows roll back with its transaction)."""
    saved: list[str] = []
    try:
        yield saved
    except BaseException:
        for name in saved:
            storage.delete(name)
        raise


def private_file_response(file) -> FileResponse:
    """A stored private photo as the answer, never cached (here and by `NoStoreMiddleware`), never sniffed into
    something else, shown inline; 404 when there is none."""
    if not file or not file.name:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = "image/png" if file.name.endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store, private"
    return response
