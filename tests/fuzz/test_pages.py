"""Hypothesis over every HTML page: its query parameters and every form it shows.

Nothing here lists routes or fields by hand. The routes come from the app's URL
map (ids filled with real rows), the forms and their fields from the pages each
role is shown (parsed HTML: inputs, selects, textareas, with their CSRF token),
and query parameters from the pages' GET forms and links. A new route or form
is fuzzed without a new test. The API has its own fuzz test (test_openapi.py).

Each form and each page gets a bounded number of examples (FUZZ_EXAMPLES, 6 by
default) so that the suite stays quick; the count of cases run and of 5xx
answers is printed. Any answer of 500 or more fails the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from recovery.auth import twofactor
from recovery.auth.models import User
from recovery.auth.services import issue_api_token, make_link_token, set_password
from recovery.caregivers.services import _serializer as caregiver_serializer
from recovery.caregivers.services import accept_invitation, invite_caregiver
from recovery.cohorts.models import SavedCohort
from recovery.extensions import db, limiter
from recovery.notes.services import add_note
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.symptoms.services import record_check_in
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import recompute_timeline
from tests.conftest import PASSWORD, Account, Browser


def caregiver_token(data: dict) -> str:
    """A caregiver invitation's signed token, as its email carries it."""
    return caregiver_serializer().dumps(data)


EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
# Pressing these would end the fuzzing client's own session: they have their
# own tests (test_sessions.py, test_auth.py).
SESSION_ENDING = re.compile(r"^/(logout|account/logout-everywhere)")
# Values that broke pages before (issue 17), mixed into free text.
NASTY = [
    "",
    " ",
    "0",
    "-1",
    str(2**31),
    str(2**64 + 1),
    "-" + str(2**64),
    "\u00b2",
    "\uff11\uff12",
    "1e999999",
    "NaN",
    "sNaN",
    "-Infinity",
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "2026-11-26T10:00:00",
    "America",
    "Europe/",
    "../../etc/passwd",
    "a\x00b",
    "/\r\nSet-Cookie: x=1",
    "//evil.example.org",
    "<script>alert(1)</script>",
    '=HYPERLINK("x")',
    "x" * 5000,
    "' OR 1=1 --",
    "true",
    "y",
]
free_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)


@dataclass
class Form:
    """One <form> as the page shows it."""

    method: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> options

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        path = re.sub(r"\d+", "N", urlsplit(self.action).path)
        return self.method, path, tuple(sorted(self.fields))


class FormParser(HTMLParser):
    """Every form of a page, and every local link's query parameter names."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url = page_url
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(
                a.get("method", "get").upper(), a.get("action") or self.page_url
            )
            self.forms.append(self._form)
        elif tag == "a" and a.get("href", "").startswith("/"):
            self.links.append(a["href"])
        elif self._form is not None and a.get("name"):
            name = a["name"]
            options = self._form.fields.setdefault(name, [])
            if tag == "select":
                self._select = name
            elif tag == "input" and a.get("value"):
                options.append(a["value"])
            elif tag == "input" and a.get("type") in ("checkbox", "radio"):
                options.append("y")
        if tag == "option" and self._form is not None and self._select:
            self._form.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@pytest.fixture(autouse=True)
def _travel():
    # One known day, logins included: what is due, and so which forms show.
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        yield


@pytest.fixture
def clinic(app, make_user, make_patient):
    """Every role logged in over a small clinic with a timeline, alerts and notes."""
    clinician = make_user("clinician")
    coordinator = make_user("coordinator")
    admin = make_user("admin")
    spare = make_user("coordinator")  # what the admin's account buttons act on
    second = make_user("clinician")  # two-factor on: its login waits for a code
    patient = make_patient(clinician, coordinator, surgery_date=date(2026, 11, 2))
    other = make_patient(clinician, surgery_date=date(2026, 10, 20))
    now = utcnow()
    with app.test_request_context():
        for account in (patient, other):
            recompute_timeline(db.session.get(Patient, account.patient_id), utcnow())
        record = db.session.get(Patient, patient.patient_id)
        # An urgent check-in, a note, a saved view and a token: so that the
        # acknowledge, note, saved-view and revoke forms are on the pages.
        # Today's, so its result page offers the correction form too.
        log, _alerts = record_check_in(
            record,
            {"back_pain": 9, "bladder_incontinence": True},
            record.user,
            now,
        )
        log_id = log.id
        add_note(record, db.session.get(User, clinician.id), "Seen.", now)
        for staff in (clinician, coordinator, admin):
            user = db.session.get(User, staff.id)
            issue_api_token(user, now, timedelta(days=1), "fuzz")
            db.session.add(SavedCohort(user_id=user.id, name="Mine", query=""))
        twofactor.enable(db.session.get(User, second.id), twofactor.new_secret(), now)
        spare_user = db.session.get(User, spare.id)
        secret = app.config["SECRET_KEY"]
        # A caregiver helping both patients (the choose, revoke and reminders
        # forms), and one invitation still open (its accept form).
        helper = None
        for account in (patient, other):
            link = invite_caregiver(
                db.session.get(Patient, account.patient_id),
                "carer@mail.example.org",
                "Carer",
                now,
            )
            accept_invitation(link, now)
            helper = link.user
        set_password(helper, PASSWORD, now)
        invited = invite_caregiver(record, "new.carer@mail.example.org", "New", now)
        # The patient's own Done a minute ago: the undo form is on their pages.
        done = db.session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.patient_id == patient.patient_id,
                TimelineEvent.kind == "pain_review",
            )
        ).first()
        done.status, done.completed_at = "done", now - timedelta(minutes=1)
        done.completed_by_id = record.user_id
        links = [
            f"/invitation/{make_link_token(secret, 'invitation', spare_user)}",
            f"/reset-password/{make_link_token(secret, 'password-reset', spare_user)}",
            "/caregivers/invitation/"
            + caregiver_token({"c": invited.id, "n": invited.invitation_nonce}),
        ]
        db.session.commit()
        carer = Account(helper.id, helper.email, "caregiver")
        event_id = db.session.scalars(
            select(TimelineEvent.id).where(
                TimelineEvent.patient_id == patient.patient_id
            )
        ).first()
    limiter.enabled = False  # fuzzing is not abuse; limits have their own tests
    # A failure is answered as the 500 page, so that every one is counted.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    ids = {
        "patient_id": patient.patient_id,
        "event_id": event_id,
        "user_id": spare.id,
        "number": 1,
        "log_id": log_id,
    }
    roles = {"anonymous": (Browser(app.test_client()), None, links)}
    pending = Browser(app.test_client())
    assert pending.login(second).headers["Location"] == "/login/code"
    roles["code pending"] = (pending, None, ["/login/code"])
    for account in (patient, clinician, coordinator, admin, carer):
        browser = Browser(app.test_client())
        assert browser.login(account).status_code == 302
        roles[account.role] = (browser, account, [])
    yield roles, ids
    limiter.enabled = True
    app.config["PROPAGATE_EXCEPTIONS"] = None


def rule_urls(app, ids: dict[str, int]) -> Iterator[str]:
    """One URL per GET rule of the HTML site, its ids those of real rows."""
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(
            ("/static", "/api/")
        ):
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            if name in ids:
                values[name] = ids[name]
            elif "int" in type(converter).__name__.lower():
                values[name] = 1
            else:
                values[name] = "not-a-real-token"
        with app.test_request_context():
            from flask import url_for

            yield url_for(rule.endpoint, **values)


def discover(
    app, browser: Browser, ids, extra: list[str]
) -> tuple[dict, dict[str, set[str]]]:
    """Forms (by shape) and query parameter names (by path) the role is shown."""
    forms: dict[tuple, Form] = {}
    params: dict[str, set[str]] = {}
    for url in [*rule_urls(app, ids), *extra]:
        response = browser.client.get(url)
        html = response.get_data(as_text=True)
        response.close()
        if response.status_code >= 500:
            SERVER_ERRORS.append(f"GET {url}")
        if response.status_code in (302, 403, 404):
            continue  # not this role's page: its query string is never read
        params.setdefault(urlsplit(url).path, {"page", "next"})
        if response.mimetype != "text/html":
            continue
        parser = FormParser(url)
        parser.feed(html)
        for form in parser.forms:
            if SESSION_ENDING.match(urlsplit(form.action).path):
                continue
            forms.setdefault(form.key(), form)
            if form.method == "GET":
                params.setdefault(urlsplit(form.action).path, set()).update(form.fields)
        for link in parser.links:
            parts = urlsplit(link)
            names = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
            if names:
                params.setdefault(parts.path, {"page", "next"}).update(names)
    return forms, params


def field_values(form: Form) -> st.SearchStrategy[dict[str, str]]:
    """For each field: one of its own options, a nasty value, or free text."""
    strategies = {}
    for name, options in form.fields.items():
        if name == "csrf_token":
            continue
        choices = st.sampled_from(options) if options else free_text
        strategies[name] = st.one_of(st.none(), choices, free_text)
    return st.fixed_dictionaries(strategies)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def fuzz_form(browser, account, form, record) -> None:
    """Post the form with generated values, a valid CSRF token each time."""

    @given(values=field_values(form))
    @FUZZ_SETTINGS
    def post(values):
        body = {k: v for k, v in values.items() if v is not None}
        if form.method == "GET":
            response = browser.client.get(form.action, query_string=body)
        else:
            body["csrf_token"] = csrf_token(browser)
            response = browser.client.post(form.action, data=body)
        response.get_data()  # a streamed answer runs to its end
        response.close()
        record("forms", response.status_code, f"{form.method} {form.action} {body}")
        if response.status_code == 400 or "/login" in response.headers.get(
            "Location", ""
        ):
            relogin(browser, account)

    post()


def fuzz_query(browser, path, names, record) -> None:
    """GET the page with generated values for its query parameters."""

    @given(query=st.dictionaries(st.sampled_from(sorted(names)), free_text, max_size=4))
    @FUZZ_SETTINGS
    def get(query):
        response = browser.client.get(path, query_string=query)
        response.get_data()
        response.close()
        record("queries", response.status_code, f"GET {path} {query}")

    get()


def test_every_page_and_form_answers_without_a_server_error(app, clinic, capsys):
    roles, ids = clinic
    cases = {"forms": 0, "queries": 0}
    server_errors = SERVER_ERRORS
    server_errors.clear()
    seen_forms: set[tuple] = set()
    for role, (browser, account, extra) in roles.items():

        def record(kind, status, what, role=role):
            cases[kind] += 1
            if status >= 500:
                server_errors.append(f"{role} {what}")

        forms, params = discover(app, browser, ids, extra)
        for key, form in forms.items():
            seen_forms.add((role, *key[:2]))
            fuzz_form(browser, account, form, record)
        for path, names in params.items():
            fuzz_query(browser, path, names, record)
    with capsys.disabled():
        print(
            f"\npage fuzz: {cases['forms']} form posts over {len(seen_forms)} forms, "
            f"{cases['queries']} page queries over {len(roles)} roles; "
            f"{len(server_errors)} answers of 5xx"
        )
    assert not server_errors, server_errors[:10]
    # The crawl really reached the forms: every POST route of the site is
    # behind some form a role is shown.
    posted = {path for _, method, path in seen_forms if method == "POST"}
    missing = []
    for rule in app.url_map.iter_rules():
        if "POST" in (rule.methods or ()) and not rule.rule.startswith("/api/"):
            shape = re.sub(r"<[^>]+>", "N", rule.rule)
            if SESSION_ENDING.match(rule.rule):
                continue
            if not any(_same_shape(shape, p) for p in posted):
                missing.append(rule.rule)
    assert not missing, missing


def _same_shape(rule_shape: str, path: str) -> bool:
    pattern = "^" + re.escape(rule_shape).replace("N", "[^/]+") + "$"
    return re.match(pattern, path) is not None


def csrf_token(browser: Browser) -> str:
    """A valid CSRF token of this client's session (it lasts the session)."""
    from tests.conftest import csrf_from

    token = TOKENS.get(id(browser))
    if token is None:
        page = browser.client.get("/account", follow_redirects=True)
        token = TOKENS[id(browser)] = csrf_from(page.get_data(as_text=True))
    return token


TOKENS: dict[int, str] = {}
SERVER_ERRORS: list[str] = []


def relogin(browser: Browser, account) -> None:
    """Log back in if a fuzzed form ended the session (e.g. a password set)."""
    TOKENS.pop(id(browser), None)
    if account is not None and browser.client.get("/account").status_code == 302:
        browser.login(account)
