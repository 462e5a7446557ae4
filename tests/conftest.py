"""Fixtures: one migrated database per run, emptied after every test."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import upgrade
from sqlalchemy import text

from config import TestingConfig
from recovery import create_app
from recovery.admin.services import create_staff
from recovery.auth.models import User
from recovery.auth.services import set_password
from recovery.extensions import db, limiter
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.patients.services import add_to_care_team
from recovery.timeline.services import recompute_timeline

PASSWORD = "correct horse battery"


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--clock INSTANT`: the whole run happens with the clock moved there, ticking."""
    parser.addoption(
        "--clock",
        default=os.environ.get("RECOVERY_TEST_CLOCK") or None,
        metavar="INSTANT",
        help="run the suite as if the machine's clock read INSTANT (ISO 8601 with "
        "offset), ticking from there; also RECOVERY_TEST_CLOCK",
    )


def compile_catalogues() -> None:
    """Build each .mo that is missing or older than its .po (`make test` already
    does; this covers a bare `pytest` in a fresh clone, where no .mo exists)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    translations = Path(__file__).resolve().parents[1] / "recovery" / "translations"
    for po_path in translations.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parts[-3])
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog)


def pytest_configure(config: pytest.Config) -> None:
    """Compile the translations, then start the session's clock travel before any
    test module is imported, so even import-time reads of the date see the moved
    clock."""
    compile_catalogues()
    instant = config.getoption("--clock")
    if instant:
        traveller = time_machine.travel(datetime.fromisoformat(instant), tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config: pytest.Config) -> str:
    """Say which clock the run used, so a failure can be replayed."""
    return f"clock: {config.getoption('--clock') or 'the machine clock'}"


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[time_machine.Coordinates | None]:
    """For a test marked `travel(instant)`: the clock stands at that instant from
    before the test's first fixture to after its last assertion. Autouse, so it is
    set up before every function-scoped fixture that makes accounts or logs in."""
    marker = request.node.get_closest_marker("travel")
    if marker is None:
        yield None
        return
    with time_machine.travel(marker.args[0], tick=False) as traveller:
        yield traveller


def reset_schema(app: Flask) -> None:
    """Drop everything, then migrate an empty database to head."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        else:
            db.drop_all()
            with db.engine.begin() as conn:
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    """The application on the test database (SQLite, or TEST_DATABASE_URL)."""
    uri = TestingConfig.SQLALCHEMY_DATABASE_URI
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(exist_ok=True)
    application = create_app("testing")
    reset_schema(application)
    yield application


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest: the suite makes hundreds of accounts (160 ms each
    with the production parameters), and argon2's strength is not under test."""
    from argon2 import PasswordHasher

    from recovery.auth import services

    saved = services._hasher
    services._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    services._hasher = saved


@pytest.fixture(autouse=True)
def _clean_database(app: Flask) -> Iterator[None]:
    """Each test starts with empty tables, a fresh rate limiter and no mail."""
    yield
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
    limiter.reset()
    app.extensions["failure_counter"].storage.reset()
    app.extensions["mailman"].outbox = []


@pytest.fixture
def outbox(app: Flask) -> list:
    """Messages sent through the in-memory mail backend during the test."""
    state = app.extensions["mailman"]
    state.outbox = []
    return state.outbox


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client (cookies kept)."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """Runs `flask` commands in-process."""
    return app.test_cli_runner()


@dataclass(frozen=True)
class Account:
    """What a test needs to know of an account it made."""

    id: int
    email: str
    role: str
    password: str = PASSWORD
    patient_id: int | None = None


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Account]:
    """Create a staff account with a password."""
    counter = iter(range(1, 10_000))

    def make(role: str = "clinician", email: str | None = None, **fields) -> Account:
        with app.app_context():
            email = email or f"{role}{next(counter)}@clinic.example.org"
            user = create_staff(fields.pop("name", f"Test {role}"), email, role)
            set_password(user, PASSWORD, utcnow())
            for key, value in fields.items():
                setattr(user, key, value)
            db.session.commit()
            return Account(user.id, user.email, role)

    return make


@pytest.fixture
def make_patient(app: Flask) -> Callable[..., Account]:
    """Enrol a patient with a login, followed by the given staff accounts."""
    counter = iter(range(1, 10_000))

    def make(*care_team: Account, timeline: bool = False, **fields) -> Account:
        """`timeline=True` builds the patient's timeline as enrolment does."""
        with app.test_request_context():
            n = next(counter)
            user = User(
                name=fields.pop("name", f"Patient {n}"),
                email=fields.pop("email", f"patient{n}@mail.example.org"),
                role="patient",
                timezone=fields.pop("timezone", "America/Chicago"),
            )
            set_password(user, PASSWORD, utcnow())
            patient = Patient(
                user=user,
                mrn=fields.pop("mrn", f"MRN-{n:05d}"),
                date_of_birth=date(1960, 5, 17),
                surgery_date=fields.pop("surgery_date", date(2026, 11, 10)),
                procedure=fields.pop("procedure", "partial_laminectomy"),
                tumor_location=fields.pop(
                    "tumor_location", "intradural_extramedullary"
                ),
                malignancy=fields.pop("malignancy", "benign"),
                **fields,
            )
            db.session.add(patient)
            staff = [db.session.get(User, member.id) for member in care_team]
            add_to_care_team(patient, *staff)
            if timeline:
                db.session.flush()
                recompute_timeline(patient, utcnow())
            db.session.commit()
            return Account(user.id, user.email, "patient", patient_id=patient.id)

    return make


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Browser:
    """Drives the real pages like a person: GET the form, POST it with its token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def submit(self, url: str, data: dict, form_url: str | None = None, **kwargs):
        """Load the page holding the form, then post the form with its CSRF token."""
        page = self.client.get(form_url or url)
        token = csrf_from(page.get_data(as_text=True))
        return self.client.post(url, data={**data, "csrf_token": token}, **kwargs)

    def login(self, account: Account, remember: bool = False, **kwargs):
        """Log in through the login page."""
        data = {"email": account.email, "password": account.password}
        if remember:
            data["remember"] = "y"
        return self.submit("/login", data, **kwargs)

    def logout(self):
        """Press the logout button of the current page."""
        page = self.client.get("/account")
        return self.client.post(
            "/logout", data={"csrf_token": csrf_from(page.get_data(as_text=True))}
        )


@pytest.fixture
def browser(client: FlaskClient) -> Browser:
    """A Browser over the test client."""
    return Browser(client)


def bearer_headers(client: FlaskClient, account: Account) -> dict[str, str]:
    """Log in through POST /api/v1/auth/tokens; the Authorization header to send."""
    response = client.post(
        "/api/v1/auth/tokens",
        json={"email": account.email, "password": account.password},
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
