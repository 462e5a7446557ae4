"""Helpers for the caregiver and message tests: accounts, photos, dispatch."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from recovery.auth.models import User
from recovery.auth.services import set_password
from recovery.caregivers.models import Caregiver
from recovery.extensions import db
from recovery.orm import utcnow
from tests.conftest import PASSWORD, Account

_counter = iter(range(1, 100_000))


def add_caregiver(
    app, patient: Account, name: str | None = None, email: str | None = None
) -> Account:
    """An active caregiver of `patient` with a password (as after acceptance)."""
    with app.app_context():
        n = next(_counter)
        user = db.session.scalar(
            db.select(User).where(User.email == (email or f"care{n}@mail.example.org"))
        )
        if user is None:
            user = User(
                name=name or f"Carer {n}",
                email=email or f"care{n}@mail.example.org",
                role="caregiver",
                timezone="America/Chicago",
            )
            set_password(user, PASSWORD, utcnow())
            db.session.add(user)
        now = datetime.now(UTC)
        db.session.add(
            Caregiver(
                patient_id=patient.patient_id,
                user=user,
                status="active",
                invited_at=now,
                accepted_at=now,
            )
        )
        db.session.commit()
        return Account(user.id, user.email, "caregiver", patient_id=patient.patient_id)


def jpeg_with_metadata(size=(64, 48)) -> bytes:
    """A JPEG carrying EXIF (a GPS position, the camera, a comment)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "SecretPhone 9"  # Model
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"taken at home")
    return out.getvalue()


def png_with_text() -> bytes:
    """A PNG with a text chunk naming its author."""
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Patient Private Name")
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def gif() -> bytes:
    """A GIF: a picture, but not a format we take."""
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    return out.getvalue()
