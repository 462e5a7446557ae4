"""Wound photos: only JPEG or PNG, re-encoded so no metadata leaves the phone.

Re-encoding from the decoded pixels drops EXIF (GPS position, camera, time), XMP,
ICC profiles and text chunks; the orientation EXIF carried is applied first so the
photo still shows the right way up.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = {"JPEG": ("image/jpeg", ".jpg"), "PNG": ("image/png", ".png")}
# A phone photo is 12-50 megapixels; more is a decompression bomb, not a wound.
MAX_PIXELS = 60_000_000


class PhotoError(ValueError):
    """A file that cannot be a wound photo; the message is for the person."""


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded photo ready to store."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_photo(data: bytes, max_bytes: int) -> CleanPhoto:
    """Check a upload and re-encode it without metadata, or raise PhotoError."""
    limit_mb = max_bytes / (1024 * 1024)
    if not data:
        raise PhotoError(_("The photo file is empty. Choose the photo again."))
    if len(data) > max_bytes:
        raise PhotoError(
            _(
                "The photo is larger than %(mb)s MB. Send a smaller photo "
                "(most phones can share a smaller size).",
                mb=f"{limit_mb:g}",
            )
        )
    refused = PhotoError(_("Only JPEG or PNG photos can be attached."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise refused
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoError(_("This photo has too many pixels to attach."))
                image.load()
                upright = ImageOps.exif_transpose(image)
                fmt = image.format
        except PhotoError:
            raise
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
            OSError,
            SyntaxError,
            ValueError,
        ) as exc:
            raise PhotoError(
                _("This file is not a photo we can read. Choose a JPEG or PNG photo.")
            ) from exc
    alpha = fmt == "PNG" and (
        "A" in upright.getbands() or "transparency" in upright.info
    )
    mode = "RGBA" if alpha else "RGB"
    pixels = upright.convert(mode)
    # A new image from the pixels alone: nothing of the original's info travels.
    bare = Image.frombytes(mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        bare.save(out, "JPEG", quality=88, optimize=True)
    else:
        bare.save(out, "PNG", optimize=True)
    content_type, extension = FORMATS[fmt]
    return CleanPhoto(out.getvalue(), content_type, extension, bare.width, bare.height)


def store_photo(folder: str, photo: CleanPhoto) -> str:
    """Write the photo under a random name in `folder`; returns the name."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    name = secrets.token_hex(16) + photo.extension
    target = Path(folder) / name
    partial = target.with_suffix(".part")
    partial.write_bytes(photo.data)
    os.replace(partial, target)
    return name


def remove_photo(folder: str, name: str) -> None:
    """Delete a stored photo (a message that failed after the file was written)."""
    (Path(folder) / name).unlink(missing_ok=True)


# A photo chosen with a message that showed the urgent guidance waits here, so the
# person need not choose it again to send; one left behind is removed after a day.
HELD_FOLDER = "held"
HELD_FOR_SECONDS = 24 * 3600
_HELD_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png)")


def hold_photo(folder: str, photo: CleanPhoto, now: float) -> str:
    """Keep a checked photo until its message is confirmed; returns its name."""
    held = Path(folder) / HELD_FOLDER
    if held.is_dir():
        for old in held.iterdir():
            if old.stat().st_mtime < now - HELD_FOR_SECONDS:
                old.unlink(missing_ok=True)
    return store_photo(str(held), photo)


def held_photo(folder: str, name: object, max_bytes: int) -> CleanPhoto | None:
    """The photo held under `name`, or None (gone, or not a name we gave)."""
    if not isinstance(name, str) or not _HELD_NAME.fullmatch(name):
        return None
    path = Path(folder) / HELD_FOLDER / name
    if not path.is_file():
        return None
    return clean_photo(path.read_bytes(), max_bytes)


def drop_held(folder: str, name: object) -> None:
    """Remove a held photo once its message is sent (or replaced)."""
    if isinstance(name, str) and _HELD_NAME.fullmatch(name):
        (Path(folder) / HELD_FOLDER / name).unlink(missing_ok=True)
