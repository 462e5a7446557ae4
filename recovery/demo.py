"""The demo clinic: staff, ~30 patients across every phase, symptom history."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from recovery.admin.services import create_staff
from recovery.auth.models import User
from recovery.auth.services import set_password
from recovery.domain.plan import MALIGNANCIES, PROCEDURES, TUMOR_LOCATIONS
from recovery.domain.scoring import score_odi
from recovery.extensions import db
from recovery.patients.models import Patient
from recovery.patients.services import add_to_care_team
from recovery.symptoms.models import QuestionnaireResponse, SymptomLog
from recovery.symptoms.services import record_check_in
from recovery.timeline.services import recompute_timeline

DEMO_PASSWORD = "recovery-demo"  # noqa: S105 - printed for the demo, documented

STAFF = [
    ("admin", "Ada Admin", "admin@demo.example.org"),
    ("coordinator", "Cora Coordinator", "coordinator@demo.example.org"),
    ("coordinator", "Colin Coordinator", "coordinator2@demo.example.org"),
    ("clinician", "Dr. Clara Surgeon", "clinician@demo.example.org"),
    ("clinician", "Dr. Raj Radiation", "clinician2@demo.example.org"),
    ("clinician", "Nora Nurse-Practitioner", "clinician3@demo.example.org"),
]
FIRST = [
    "Alex",
    "Sam",
    "Maria",
    "John",
    "Aisha",
    "Wei",
    "Olga",
    "Pedro",
    "Fatima",
    "Lars",
    "Grace",
    "Tom",
    "Hana",
    "Ivan",
    "Lucia",
]
LAST = [
    "Miller",
    "Garcia",
    "Chen",
    "Okafor",
    "Novak",
    "Silva",
    "Kim",
    "Berg",
    "Haddad",
    "Rossi",
    "Dubois",
    "Schmidt",
    "Nakamura",
    "Ahmed",
    "Jones",
]
TIMEZONES = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/Berlin",
]
TUMOR_TYPES = {
    "intramedullary": ["ependymoma", "astrocytoma", "hemangioblastoma"],
    "intradural_extramedullary": ["meningioma", "schwannoma"],
    "epidural": ["metastatic breast carcinoma", "metastatic lung carcinoma", "myeloma"],
}
# Post-operative days spread over every phase: pre-op, early recovery, radiation,
# rehabilitation, surveillance.
DAY_SPREAD = [
    -5,
    -1,
    0,
    2,
    5,
    9,
    12,
    16,
    19,
    23,
    27,
    31,
    36,
    40,
    45,
    52,
    60,
    68,
    75,
    84,
    95,
    120,
    150,
    180,
    220,
    270,
    330,
    400,
    500,
    640,
]


@dataclass(frozen=True)
class DemoLogin:
    """An account the demo prints."""

    role: str
    name: str
    email: str


def is_empty() -> bool:
    """Whether the database has no accounts yet."""
    return not db.session.scalar(select(func.count()).select_from(User))


def seed(
    today: date,
    now: datetime,
    seed_value: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> list[DemoLogin]:
    """Create the demo clinic; the caller commits. `progress(done, total)` is told
    after each patient."""
    rng = random.Random(seed_value)
    logins: list[DemoLogin] = []
    staff: dict[str, list[User]] = {"coordinator": [], "clinician": [], "admin": []}
    for role, name, email in STAFF:
        user = create_staff(name, email, role, "America/Chicago")
        # The demo clinic's team lines (555-01xx numbers are fictional).
        user.care_team_phone = f"+1 312 555 01{len(logins):02d}"
        set_password(user, DEMO_PASSWORD, now)
        staff[role].append(user)
        logins.append(DemoLogin(role, name, email))

    for index, day in enumerate(DAY_SPREAD):
        first = FIRST[index % len(FIRST)]
        last = LAST[(index * 7 + index // len(FIRST)) % len(LAST)]
        email = f"patient{index + 1}@demo.example.org"
        user = User(
            name=f"{first} {last}",
            email=email,
            role="patient",
            timezone=TIMEZONES[index % len(TIMEZONES)],
            # Every fourth demo patient reads Spanish (patient4@, patient8@, ...).
            language="es" if (index + 1) % 4 == 0 else "en",
        )
        set_password(user, DEMO_PASSWORD, now)
        location = TUMOR_LOCATIONS[index % len(TUMOR_LOCATIONS)]
        # Epidural tumours are metastases, so malignant; the others alternate
        # benign / malignant and are primary. No plan the app would refuse.
        metastatic = location == "epidural"
        malignancy = "malignant" if metastatic else MALIGNANCIES[index % 2]
        radiation = malignancy == "malignant"
        clinician = staff["clinician"][index % 3]
        coordinator = staff["coordinator"][index % 2]
        patient = Patient(
            user=user,
            mrn=f"DEMO-{1000 + index}",
            phone=f"+1 773 555 01{index:02d}",
            date_of_birth=date(
                1940 + rng.randrange(45), rng.randrange(1, 13), rng.randrange(1, 28)
            ),
            surgery_date=today - timedelta(days=day),
            procedure=PROCEDURES[index % len(PROCEDURES)],
            tumor_location=location,
            tumor_type=rng.choice(TUMOR_TYPES[location]),
            malignancy=malignancy,
            origin="metastatic" if metastatic else "primary",
            radiation_planned=radiation,
            radiation_start_day=rng.choice([7, 10, 14]),
            radiation_weeks=rng.choice([2, 3, 4, 5, 6]),
            radiation_minutes_per_session=rng.choice([15, 20]),  # the protocols' range
            brace_required=index % 3 == 0,
            brace_weeks=6,
            clinician=clinician,
            coordinator=coordinator,
        )
        db.session.add(patient)
        add_to_care_team(patient, clinician, coordinator)
        db.session.flush()
        recompute_timeline(patient, now)
        _complete_past_events(rng, patient, today, now)
        _seed_symptoms(rng, patient, max(0, min(day, 60)), now)
        _seed_odi(rng, patient, today, now)
        if index < 3:
            logins.append(DemoLogin("patient", user.name, email))
        if progress:
            progress(index + 1, len(DAY_SPREAD))
    # A few red flags waiting in the coordinators' queues.
    patients = list(db.session.scalars(select(Patient).order_by(Patient.id)))
    for patient, signs in zip(
        (patients[5], patients[8], patients[11]),
        (
            {"bladder_incontinence": True, "back_pain": 7},
            {"temperature_c": 38.4, "wound": "red", "back_pain": 5},
            {"leg_weakness": "worse", "back_pain": 6, "leg_pain": 7},
        ),
        strict=True,
    ):
        check_in = {"leg_pain": None, "notes": "", **signs}
        record_check_in(patient, check_in, patient.user, now - timedelta(hours=2))
    logins.append(_seed_caregiving(patients[0], staff["coordinator"][0], now))
    db.session.flush()
    return logins


def _seed_caregiving(patient: Patient, coordinator: User, now: datetime) -> DemoLogin:
    """The first patient's caregiver, and a question answered by the coordinator."""
    from recovery.caregivers.models import Caregiver
    from recovery.messages.services import send_message

    name, email = "Casey Caregiver", "caregiver@demo.example.org"
    user = User(
        name=name, email=email, role="caregiver", timezone=patient.user.timezone
    )
    set_password(user, DEMO_PASSWORD, now)
    db.session.add(
        Caregiver(
            patient=patient,
            user=user,
            status="active",
            invited_at=now - timedelta(days=3),
            accepted_at=now - timedelta(days=3),
        )
    )
    db.session.flush()
    send_message(
        patient,
        patient.user,
        "May I take a shower with the dressing on?",
        now - timedelta(days=1, hours=3),
    )
    send_message(
        patient,
        coordinator,
        "Yes, with the waterproof cover your nurse gave you. Pat it dry after.",
        now - timedelta(days=1, hours=1),
    )
    send_message(
        patient,
        user,
        "We have a follow-up visit soon: should we bring the brace?",
        now - timedelta(hours=5),
    )
    return DemoLogin("caregiver", name, email)


def _seed_odi(rng: random.Random, patient: Patient, today: date, now: datetime) -> None:
    """ODI answers for questionnaires already past: disability easing over time."""
    for event in sorted(patient.events, key=lambda e: e.start_date):
        if event.kind != "questionnaire" or event.end_date >= today:
            continue
        level = max(0, 4 - (event.start_date - patient.surgery_date).days // 60)
        answers = [min(5, max(0, level + rng.randrange(-1, 2))) for _ in range(10)]
        result = score_odi(answers)
        db.session.add(
            QuestionnaireResponse(
                patient_id=patient.id,
                event_id=event.id,
                answers=answers,
                score_percent=result.score_percent,
                band=result.band,
                recorded_at=now - timedelta(days=(today - event.end_date).days),
            )
        )
        event.status = "done"


def _complete_past_events(
    rng: random.Random, patient: Patient, today: date, now: datetime
) -> None:
    """Most past events done; a few left missed, as in a real clinic."""
    for event in patient.events:
        if (
            event.end_date < today
            and event.kind
            not in (
                "activity_restriction",
                "brace",
            )
            and rng.random() < 0.9
        ):
            event.status = "done"
            event.completed_at = now - timedelta(days=(today - event.end_date).days)


def _seed_symptoms(
    rng: random.Random, patient: Patient, days: int, now: datetime
) -> None:
    """Daily check-ins since surgery: pain easing with noise."""
    pain = rng.randrange(5, 9)
    for back in range(days, -1, -1):
        eased = max(0, pain - (days - back) // 7)
        db.session.add(
            SymptomLog(
                patient_id=patient.id,
                recorded_at=now - timedelta(days=back, hours=rng.randrange(0, 4)),
                back_pain=min(10, max(0, eased + rng.randrange(-1, 2))),
                leg_pain=min(10, max(0, eased - 2 + rng.randrange(-1, 2))),
                numbness=rng.random() < 0.2,
                leg_weakness="none",
                fatigue=rng.randrange(2, 7),
                weight_kg=round(70 + rng.random() * 2, 1),
                wound="healing",
                temperature_c=round(36.6 + rng.random() * 0.6, 1),
            )
        )
