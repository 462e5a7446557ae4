"""Whom a patient calls, and what the app tells them when a sign is urgent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from recovery.domain.symptoms import RedFlagRules
from recovery.i18n import current_language
from recovery.patients.models import Patient

# What a dialler needs: digits, and a leading + for an international number.
_DIALLABLE = re.compile(r"[^\d+]")


@dataclass(frozen=True)
class Advice:
    """The urgent guidance: the message and the two numbers to call."""

    message: str
    care_team_phone: str
    emergency_number: str

    @property
    def care_team_tel(self) -> str:
        """`tel:` address of the care team's number ('' when there is none)."""
        return tel(self.care_team_phone)

    @property
    def emergency_tel(self) -> str:
        """`tel:` address of the emergency number."""
        return tel(self.emergency_number)

    def as_dict(self) -> dict[str, str]:
        """The API's `advice` object."""
        return {
            "message": self.message,
            "care_team_phone": self.care_team_phone,
            "emergency_number": self.emergency_number,
        }


def tel(number: str) -> str:
    """A `tel:` URI for a phone number as people write it ('' if it has no digits)."""
    digits = _DIALLABLE.sub("", number)
    return f"tel:{digits}" if any(c.isdigit() for c in digits) else ""


def care_team_phone(patient: Patient) -> str:
    """The care team's number: the coordinator's team line, else the clinician's,
    else the clinic's CLINIC_PHONE ('' when none is set anywhere)."""
    for member in (patient.coordinator, patient.clinician):
        if member is not None and member.active and member.care_team_phone:
            return member.care_team_phone
    return current_app.config["CLINIC_PHONE"]


def urgent_advice(patient: Patient) -> Advice:
    """What to do now, with whom to call."""
    rules: RedFlagRules = current_app.extensions["red_flags"]
    return Advice(
        message=rules.advice_in(current_language()),
        care_team_phone=care_team_phone(patient),
        emergency_number=current_app.config["EMERGENCY_NUMBER"],
    )
