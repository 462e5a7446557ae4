"""The coordinator's cohort: filters, sorts, phases, scope, CSV, saved views, charts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, func, select, update

from recovery.extensions import db
from recovery.orm import utcnow
from recovery.patients.models import Patient
from recovery.symptoms.models import Alert, SymptomLog
from recovery.timeline.models import TimelineEvent
from recovery.timeline.services import phase_of, recompute_timeline
from recovery.zones import local_today
from tests.conftest import Browser, bearer_headers

NOW = "2026-11-26 15:00 +0000"
# Every test runs at NOW, frozen: fixtures, logins and requests alike.
pytestmark = pytest.mark.travel(NOW)
TODAY = date(2026, 11, 26)
INSTANT = datetime(2026, 11, 26, 15, tzinfo=UTC)


def build_timeline(app, patient_id: int, done_before: date | None = None) -> None:
    """Build the stored timeline; optionally mark everything ended before a day done."""
    with app.test_request_context():
        recompute_timeline(db.session.get(Patient, patient_id), utcnow())
        if done_before is not None:
            db.session.execute(
                update(TimelineEvent)
                .where(
                    TimelineEvent.patient_id == patient_id,
                    TimelineEvent.end_date < done_before,
                    TimelineEvent.status != "cancelled",
                )
                .values(status="done")
            )
        db.session.commit()


def add_log(app, patient_id: int, when: datetime, back_pain: int) -> None:
    with app.app_context():
        db.session.add(
            SymptomLog(patient_id=patient_id, recorded_at=when, back_pain=back_pain)
        )
        db.session.commit()


def add_alert(app, patient_id: int, status: str = "open") -> int:
    with app.app_context():
        alert = Alert(
            patient_id=patient_id,
            severity="urgent",
            rule="fever",
            message="Temperature 38.6 °C (fever).",
            status=status,
            created_at=INSTANT - timedelta(hours=2),
        )
        db.session.add(alert)
        db.session.commit()
        return alert.id


@pytest.fixture
def clinic(app, make_user, make_patient):
    """Two coordinators' cohorts with patients in every phase, as of 26 Nov 2026."""
    coordinator = make_user("coordinator", name="Cora")
    other = make_user("coordinator", name="Otto")
    clinician = make_user("clinician", name="Dr Ada")
    second = make_user("clinician", name="Dr Bo")
    team = (coordinator, clinician)
    p = {}
    p["pre"] = make_patient(
        *team,
        name="Pre Op",
        surgery_date=date(2026, 12, 3),
        procedure="biopsy",
        tumor_location="epidural",
        malignancy="malignant",
    )
    p["early"] = make_patient(
        *team,
        name="Early Eve",
        surgery_date=date(2026, 11, 20),
        procedure="minimally_invasive_removal",
        tumor_location="intramedullary",
    )
    p["rad"] = make_patient(
        coordinator,
        second,
        name="Ray Diation",
        surgery_date=date(2026, 11, 10),
        procedure="open_resection",
        tumor_location="epidural",
        malignancy="malignant",
        radiation_planned=True,
        radiation_start_day=10,
        radiation_weeks=2,
        clinician_id=second.id,
    )
    p["rehab"] = make_patient(
        *team,
        name="Reha Bill",
        surgery_date=date(2026, 9, 27),
        clinician_id=clinician.id,
    )
    p["surv"] = make_patient(
        *team, name="Sue Veillance", surgery_date=date(2025, 11, 1)
    )
    p["done"] = make_patient(
        *team,
        name="Dee Scharged",
        surgery_date=date(2025, 6, 1),
        discharged_at=datetime(2026, 6, 1, tzinfo=UTC),
    )
    p["elsewhere"] = make_patient(other, name="Else Where")
    for key, account in p.items():
        # Everything before today is done, except for the one overdue patient.
        done = None if key == "rehab" else TODAY
        build_timeline(app, account.patient_id, done_before=done)
    add_log(app, p["early"].patient_id, INSTANT - timedelta(days=1), 4)
    add_log(app, p["early"].patient_id, INSTANT - timedelta(hours=3), 3)
    add_log(app, p["rad"].patient_id, INSTANT - timedelta(days=5), 7)
    add_log(app, p["rehab"].patient_id, INSTANT - timedelta(days=20), 2)
    add_alert(app, p["rad"].patient_id)
    add_alert(app, p["early"].patient_id, status="acknowledged")
    return {
        "coordinator": coordinator,
        "other": other,
        "clinician": clinician,
        "second": second,
        "patients": p,
    }


def cohort(client, headers, query: str = "") -> dict:
    response = client.get(f"/api/v1/cohort?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def names(body: dict) -> list[str]:
    return [item["name"] for item in body["items"]]


MINE = {"Pre Op", "Early Eve", "Ray Diation", "Reha Bill", "Sue Veillance"}
MINE |= {"Dee Scharged"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", MINE),
        ("phase=pre_op", {"Pre Op"}),
        ("phase=early_recovery", {"Early Eve"}),
        ("phase=radiation", {"Ray Diation"}),
        ("phase=rehabilitation", {"Reha Bill"}),
        ("phase=surveillance", {"Sue Veillance"}),
        ("phase=completed", {"Dee Scharged"}),
        ("procedure=open_resection", {"Ray Diation"}),
        ("tumor_location=epidural", {"Pre Op", "Ray Diation"}),
        ("malignancy=malignant", {"Pre Op", "Ray Diation"}),
        ("surgery_from=2026-11-01&surgery_to=2026-11-30", {"Early Eve", "Ray Diation"}),
        ("surgery_from=2026-11-20", {"Early Eve", "Pre Op"}),
        ("surgery_to=2025-11-01", {"Sue Veillance", "Dee Scharged"}),
        ("overdue=true", {"Reha Bill"}),
        ("overdue=false", MINE - {"Reha Bill"}),
        ("open_alerts=true", {"Ray Diation"}),
        ("open_alerts=false", MINE - {"Ray Diation"}),
        ("no_checkin_days=2", MINE - {"Early Eve"}),
        ("no_checkin_days=10", MINE - {"Early Eve", "Ray Diation"}),
        ("phase=radiation&open_alerts=true", {"Ray Diation"}),
        ("phase=early_recovery&open_alerts=true", set()),
    ],
)
def test_each_filter_through_the_api(client, clinic, query, expected):
    headers = bearer_headers(client, clinic["coordinator"])
    body = cohort(client, headers, query)
    assert set(names(body)) == expected
    assert body["total"] == len(expected)


def test_clinician_filter(client, clinic):
    headers = bearer_headers(client, clinic["coordinator"])
    body = cohort(client, headers, f"clinician_id={clinic['second'].id}")
    assert names(body) == ["Ray Diation"]
    body = cohort(client, headers, f"clinician_id={clinic['clinician'].id}")
    assert names(body) == ["Reha Bill"]


def test_rows_carry_the_columns_of_the_table(app, client, clinic):
    headers = bearer_headers(client, clinic["coordinator"])
    rows = {item["name"]: item for item in cohort(client, headers)["items"]}
    rad = rows["Ray Diation"]
    assert rad["post_op_day"] == 16
    assert rad["phase"] == "radiation"
    assert rad["open_alerts"] == 1
    assert rad["last_back_pain"] == 7
    assert rad["last_symptom_at"].startswith("2026-11-21T15:00")
    with app.app_context():
        # The earliest item still to do whose window has not closed.
        expected = min(
            (e.start_date, e.id)
            for e in db.session.get(Patient, rad["patient_id"]).events
            if e.kind not in ("activity_restriction", "brace")
            and e.status_on(TODAY) in ("upcoming", "due")
        )
    assert (rad["next_event"]["date"], rad["next_event"]["id"]) == (
        expected[0].isoformat(),
        expected[1],
    )
    eve = rows["Early Eve"]
    assert eve["last_back_pain"] == 3  # the latest of two check-ins
    assert eve["open_alerts"] == 0  # the acknowledged one does not count
    assert rows["Pre Op"]["post_op_day"] == -7
    assert rows["Dee Scharged"]["last_symptom_at"] is None
    assert rows["Reha Bill"]["overdue_count"] > 0
    assert all(rows[n]["overdue_count"] == 0 for n in MINE - {"Reha Bill"})


def test_overdue_count_is_the_number_of_missed_items(app, client, clinic):
    """The SQL count agrees with the domain's status_on for every event."""
    headers = bearer_headers(client, clinic["coordinator"])
    pid = clinic["patients"]["rehab"].patient_id
    with app.app_context():
        events = db.session.scalars(
            select(TimelineEvent).where(TimelineEvent.patient_id == pid)
        ).all()
        missed = sum(
            1
            for e in events
            if e.status_on(local_today("America/Chicago", INSTANT)) == "missed"
        )
    row = next(i for i in cohort(client, headers)["items"] if i["patient_id"] == pid)
    assert missed > 0
    assert row["overdue_count"] == missed


@pytest.mark.parametrize(
    "column",
    [
        "name",
        "surgery_date",
        "post_op_day",
        "phase",
        "next_event",
        "overdue_count",
        "open_alerts",
        "last_symptom_at",
        "last_back_pain",
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_each_sort_orders_by_its_column_with_blanks_last(
    client, clinic, column, descending
):
    from recovery.domain.cohort import PHASES

    headers = bearer_headers(client, clinic["coordinator"])
    sort = f"-{column}" if descending else column
    items = cohort(client, headers, f"sort={sort}")["items"]
    assert len(items) == len(MINE)

    def key(item):
        if column == "next_event":
            return item["next_event"]["date"] if item["next_event"] else None
        if column == "phase":
            return PHASES.index(item["phase"])
        if column == "name":
            return item["name"].lower()
        return item[column]

    values = [key(item) for item in items]
    present = [v for v in values if v is not None]
    assert values == present + [None] * (len(values) - len(present))  # blanks last
    assert present == sorted(present, reverse=descending)
    assert len(set(present)) > 1  # the data really tests an order


def test_pages_split_the_cohort_without_overlap(client, clinic):
    headers = bearer_headers(client, clinic["coordinator"])
    first = cohort(client, headers, "per_page=4&page=1&sort=name")
    second = cohort(client, headers, "per_page=4&page=2&sort=name")
    past = cohort(client, headers, "per_page=4&page=3&sort=name")
    assert first["total"] == second["total"] == past["total"] == len(MINE)
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert past["items"] == []
    assert set(names(first)) | set(names(second)) == MINE


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("phase=recovering", "phase"),
        ("procedure=surgery", "procedure"),
        ("surgery_from=yesterday", "surgery_from"),
        ("surgery_from=2026-11-10&surgery_to=2026-11-01", "surgery_to"),
        ("overdue=perhaps", "overdue"),
        ("no_checkin_days=0", "no_checkin_days"),
        ("sort=mrn", "sort"),
        ("per_page=1000", "per_page"),
    ],
)
def test_bad_filters_are_named_in_the_error(client, clinic, query, field):
    headers = bearer_headers(client, clinic["coordinator"])
    response = client.get(f"/api/v1/cohort?{query}", headers=headers)
    assert response.status_code in (400, 422)
    assert field in response.get_json()["error"]["fields"]


def test_the_page_explains_a_bad_filter(browser, clinic):
    browser.login(clinic["coordinator"])
    response = browser.client.get("/cohorts/?phase=recovering&no_checkin_days=-4")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Must be one of: pre_op" in page
    assert "Days without a check-in must be from 1 to 365." in page
    assert 'aria-invalid="true"' in page


def test_care_team_scope(client, clinic, make_user):
    other = bearer_headers(client, clinic["other"])
    assert names(cohort(client, other)) == ["Else Where"]
    admin = bearer_headers(client, make_user("admin"))
    assert set(names(cohort(client, admin))) == MINE | {"Else Where"}
    clinician = bearer_headers(client, clinic["second"])
    assert names(cohort(client, clinician)) == ["Ray Diation"]


def test_patients_may_not_list_the_cohort(client, browser, clinic):
    patient = clinic["patients"]["early"]
    assert (
        client.get(
            "/api/v1/cohort", headers=bearer_headers(client, patient)
        ).status_code
        == 403
    )
    browser.login(patient)
    assert browser.client.get("/cohorts/").status_code == 403
    assert browser.client.get("/cohorts/export.csv").status_code == 403


def test_dashboard_page_filters_sorts_and_keeps_filters_in_links(browser, clinic):
    browser.login(clinic["coordinator"])
    page = browser.client.get("/cohorts/?phase=radiation&open_alerts=true")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    table = html[html.index("<table") :]
    assert "Ray Diation" in table and "Early Eve" not in table
    # The sort links and the CSV link keep the filters.
    assert "phase=radiation&amp;open_alerts=true&amp;sort=name" in html
    assert "/cohorts/export.csv?phase=radiation&amp;open_alerts=true" in html
    html = browser.client.get("/cohorts/?sort=-name").get_data(as_text=True)
    table = html[html.index("<table") :]
    order = [table.index(n) for n in ("Sue Veillance", "Reha Bill", "Pre Op")]
    assert order == sorted(order)
    # The pager counts patients: one page of several is still "patients".
    shown = table[: table.index("</table>")].count("<tr>") - 1  # less the header
    assert shown > 1 and f"Page 1 of 1 · {shown} patients" in html
    assert 'aria-sort="descending"' in table


def test_viewing_the_cohort_is_audited_without_patient_details(app, browser, clinic):
    from recovery.audit.models import AuditEvent

    browser.login(clinic["coordinator"])
    browser.client.get("/cohorts/?phase=radiation")
    with app.app_context():
        row = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "view_cohort")
        ).one()
    assert row.actor_id == clinic["coordinator"].id
    assert row.details["filters"] == {"phase": "radiation"}
    assert row.details["patient_ids"] == [clinic["patients"]["rad"].patient_id]


def test_csv_opens_in_python_one_row_per_patient_and_neutralises_formulas(
    app, client, clinic, make_patient
):
    make_patient(clinic["coordinator"], name='=HYPERLINK("http://evil.example","x")')
    make_patient(clinic["coordinator"], name="+Plus Minus", mrn="-1+1")
    headers = bearer_headers(client, clinic["coordinator"])
    response = client.get("/api/v1/cohort.csv", headers=headers)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == len(MINE) + 2
    assert len({row["patient_id"] for row in rows}) == len(rows)
    by_name = {row["name"]: row for row in rows}
    assert by_name['\'=HYPERLINK("http://evil.example","x")']
    assert "'+Plus Minus" in by_name
    assert by_name["'+Plus Minus"]["mrn"] == "'-1+1"
    assert not any(row["name"].startswith(("=", "+", "-", "@")) for row in rows)
    assert by_name["Ray Diation"]["phase"] == "radiation"
    assert by_name["Ray Diation"]["open_alerts"] == "1"


def test_csv_follows_the_filters_and_large_exports_stream_in_chunks(
    app, client, clinic
):
    headers = bearer_headers(client, clinic["coordinator"])
    response = client.get("/api/v1/cohort.csv?overdue=true", headers=headers)
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [row[1] for row in rows[1:]] == ["Reha Bill"]
    from recovery.auth.models import User
    from recovery.cohorts.filters import CohortFilter
    from recovery.cohorts.services import csv_lines

    with app.test_request_context():
        user = db.session.get(User, clinic["coordinator"].id)
        chunks = list(csv_lines(user, CohortFilter(), INSTANT, chunk=2))
    assert len(chunks) == 3  # header + 2 rows, 2 rows, 2 rows
    assert sum(chunk.count("\r\n") for chunk in chunks) == len(MINE) + 1


def test_csv_page_link_downloads_the_view(browser, clinic):
    browser.login(clinic["coordinator"])
    response = browser.client.get("/cohorts/export.csv?phase=completed")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["patient_id", "name", "mrn"]
    assert [row[1] for row in rows[1:]] == ["Dee Scharged"]


def count_queries(app, fn) -> list[str]:
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements


def test_dashboard_issues_as_many_queries_for_100_patients_as_for_10(
    app, browser, make_user, make_patient
):
    coordinator = make_user("coordinator")
    browser.login(coordinator)

    def add(n):
        for _ in range(n):
            account = make_patient(coordinator, radiation_planned=True)
            build_timeline(app, account.patient_id)
            add_log(app, account.patient_id, INSTANT - timedelta(days=1), 5)
            add_alert(app, account.patient_id)

    def load():
        page = browser.client.get("/cohorts/?per_page=100")
        assert page.status_code == 200
        return page.get_data(as_text=True)

    add(10)
    load()  # warm caches (zone names, protocols)
    ten = count_queries(app, load)
    add(90)
    hundred = count_queries(app, load)
    assert load().count('href="/patients/') >= 100
    extra = [q for q in hundred if q not in ten or hundred.count(q) > ten.count(q)]
    assert len(ten) == len(hundred), extra[:3]


def test_phase_edges_match_the_domain_rule(app, client, make_user, make_patient, clock):
    """The SQL phase and phase_of agree on the days radiation starts and ends."""
    coordinator = make_user("coordinator")
    rad = make_patient(
        coordinator,
        surgery_date=date(2026, 11, 2),
        radiation_planned=True,
        radiation_start_day=10,
        radiation_weeks=2,
        timezone="America/Chicago",
    )
    plain = make_patient(coordinator, surgery_date=date(2026, 9, 1))
    build_timeline(app, rad.patient_id)
    build_timeline(app, plain.patient_id)
    with app.app_context():
        sessions = db.session.scalars(
            select(TimelineEvent.start_date)
            .where(
                TimelineEvent.patient_id == rad.patient_id,
                TimelineEvent.kind == "radiation_session",
            )
            .order_by(TimelineEvent.start_date)
        ).all()
    first, last = sessions[0], sessions[-1]
    headers = bearer_headers(client, coordinator)
    cases = [
        (date(2026, 11, 1), rad, "pre_op"),
        (date(2026, 11, 2), rad, "early_recovery"),
        (first - timedelta(days=1), rad, "early_recovery"),
        (first, rad, "radiation"),
        (last, rad, "radiation"),
        (last + timedelta(days=1), rad, "rehabilitation"),
        (date(2026, 9, 1) + timedelta(days=42), plain, "early_recovery"),
        (date(2026, 9, 1) + timedelta(days=43), plain, "rehabilitation"),
        (date(2026, 9, 1) + timedelta(days=89), plain, "rehabilitation"),
        (date(2026, 9, 1) + timedelta(days=90), plain, "surveillance"),
    ]
    for day, account, expected in cases:
        # Noon in Chicago: the patient's own day.
        instant = datetime(day.year, day.month, day.day, 18, tzinfo=UTC)
        clock.move_to(instant)
        body = client.get(
            f"/api/v1/cohort?phase={expected}", headers=headers
        ).get_json()
        assert account.patient_id in [i["patient_id"] for i in body["items"]], (
            day,
            expected,
        )
        with app.app_context():
            patient = db.session.get(Patient, account.patient_id)
            assert phase_of(patient, day) == expected


def test_phase_uses_each_patients_own_calendar_day(
    app, client, make_user, make_patient, clock
):
    coordinator = make_user("coordinator")
    accounts = {}
    for zone in ("America/Chicago", "Pacific/Auckland"):
        accounts[zone] = make_patient(
            coordinator,
            timezone=zone,
            surgery_date=date(2026, 11, 2),
            radiation_planned=True,
            radiation_start_day=10,
        )
        build_timeline(app, accounts[zone].patient_id)
    # 12 Nov, 03:00 UTC: still 11 Nov in Chicago, already 12 Nov (day 10) in Auckland.
    clock.move_to("2026-11-12 03:00 +0000")
    items = client.get(
        "/api/v1/cohort", headers=bearer_headers(client, coordinator)
    ).get_json()["items"]
    by_id = {item["patient_id"]: item for item in items}
    chicago = by_id[accounts["America/Chicago"].patient_id]
    auckland = by_id[accounts["Pacific/Auckland"].patient_id]
    assert (chicago["post_op_day"], chicago["phase"]) == (9, "early_recovery")
    assert (auckland["post_op_day"], auckland["phase"]) == (10, "radiation")


def test_saved_cohorts_are_saved_listed_replaced_and_removed(app, browser, clinic):
    from recovery.cohorts.models import SavedCohort

    browser.login(clinic["coordinator"])
    response = browser.submit(
        "/cohorts/saved",
        {"name": "Radiation with alerts", "query": "phase=radiation&open_alerts=1&x=9"},
        form_url="/cohorts/",
    )
    assert response.status_code == 302
    assert "phase=radiation" in response.headers["Location"]
    html = browser.client.get("/cohorts/").get_data(as_text=True)
    assert "Radiation with alerts" in html
    assert 'href="/cohorts/?phase=radiation&amp;open_alerts=true"' in html
    browser.submit(
        "/cohorts/saved",
        {"name": "Radiation with alerts", "query": "phase=radiation"},
        form_url="/cohorts/",
    )
    with app.app_context():
        saved = db.session.scalars(select(SavedCohort)).all()
        assert [(s.name, s.query) for s in saved] == [
            ("Radiation with alerts", "phase=radiation")
        ]
        saved_id = saved[0].id
    # Someone else cannot remove it.
    other = Browser(app.test_client())
    other.login(clinic["other"])
    other.submit(f"/cohorts/saved/{saved_id}/delete", {}, form_url="/cohorts/")
    with app.app_context():
        assert db.session.get(SavedCohort, saved_id) is not None
    browser.submit(f"/cohorts/saved/{saved_id}/delete", {}, form_url="/cohorts/")
    with app.app_context():
        assert db.session.get(SavedCohort, saved_id) is None


def test_saving_bad_filters_or_no_name_is_refused(app, browser, clinic):
    from recovery.cohorts.models import SavedCohort

    browser.login(clinic["coordinator"])
    browser.submit(
        "/cohorts/saved",
        {"name": " ", "query": "phase=radiation"},
        form_url="/cohorts/",
    )
    browser.submit(
        "/cohorts/saved", {"name": "Bad", "query": "phase=nope"}, form_url="/cohorts/"
    )
    with app.app_context():
        assert db.session.scalars(select(SavedCohort)).all() == []
    html = browser.client.get("/cohorts/").get_data(as_text=True)
    assert "not valid and were not saved" in html


def test_summary_page_gives_pain_quartiles_adherence_and_phases(app, browser, clinic):
    # Ray Diation (surgery 10 Nov, day 16): weeks 1 and 2 are over, week 3 is not.
    # The fixture already logged pain 7 on day 11; these add to it.
    rad = clinic["patients"]["rad"].patient_id
    for day, pain in [(0, 8), (1, 6), (2, 6), (3, 4), (8, 5), (8, 3)]:
        add_log(
            app, rad, datetime(2026, 11, 10, 14, tzinfo=UTC) + timedelta(days=day), pain
        )
    browser.login(clinic["coordinator"])
    response = browser.client.get("/cohorts/summary?phase=radiation")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    # Week 1: 8, 6, 6, 4 -> quartiles 5.5, 6, 6.5. Week 2: 5, 3 (day 8), 7 (day 11).
    # (week, patients it stands on, check-ins, quartiles)
    assert (
        "<tr><td>1</td><td>1</td><td>4</td><td>5.5</td><td>6</td><td>6.5</td></tr>"
        in html
    )
    assert (
        "<tr><td>2</td><td>1</td><td>3</td><td>4</td><td>5</td><td>6</td></tr>" in html
    )
    # Adherence: 4 of 7 days in week 1; in week 2, days 8 (twice) and 11.
    assert "<tr><td>1</td><td>1</td><td>7</td><td>4</td><td>57.1 %</td></tr>" in html
    assert "<tr><td>2</td><td>1</td><td>7</td><td>2</td><td>28.6 %</td></tr>" in html
    assert ">Radiation</a></td><td>1</td>" in html
    assert 'id="cohort-data"' in html


# A valid enrolment form (what a coordinator types), for the tests to vary.
ENROLMENT = {
    "name": "Nina New",
    "email": "nina@mail.example.org",
    "mrn": "NEW-1",
    "date_of_birth": "1970-04-02",
    "timezone": "Europe/Oslo",
    "surgery_date": "2026-11-30",
    "procedure": "biopsy",
    "tumor_location": "epidural",
    "malignancy": "unknown",
    "radiation_planned": "y",
    "radiation_start_day": "12",
    "radiation_weeks": "2",  # planned radiation needs its weeks (issue 16)
}


def test_enrolment_form_creates_the_patient_and_invites_them(
    app, browser, clinic, outbox
):
    browser.login(clinic["coordinator"])
    response = browser.submit(
        "/patients/new",
        {
            **ENROLMENT,
            "procedure": "open_resection",
            "malignancy": "malignant",
            "origin": "metastatic",
            "radiation_weeks": "3",
            "radiation_minutes_per_session": "15",
            "brace_weeks": "6",
            "clinician_id": str(clinic["clinician"].id),
            "coordinator_id": str(clinic["coordinator"].id),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        patient = db.session.scalars(
            select(Patient).where(Patient.mrn == "NEW-1")
        ).one()
        assert patient.radiation_planned and patient.radiation_start_day == 12
        assert not patient.brace_required
        assert patient.user.timezone == "Europe/Oslo"
        sessions = [e for e in patient.events if e.kind == "radiation_session"]
        assert len(sessions) == 15
        assert {m.user_id for m in patient.care_team} == {
            clinic["clinician"].id,
            clinic["coordinator"].id,
        }
        assert response.headers["Location"].endswith(f"/patients/{patient.id}")
    assert [m.to for m in outbox] == [["nina@mail.example.org"]]
    assert "/invitation/" in outbox[0].body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"radiation_start_day": "20"},
            "radiation_start_day",
            "The start day must be from 7 to 14.",
        ),
        ({"email": "not-an-email"}, "email", "Enter an email address such as"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown timezone"),
        ({"date_of_birth": "2027-01-01"}, "date_of_birth", "Must be a past date"),
        ({"procedure": ""}, "procedure", "Choose the procedure."),
        ({"mrn": "TAKEN"}, "mrn", "A patient with that MRN already exists."),
    ],
)
def test_enrolment_form_explains_what_is_wrong(
    app, browser, clinic, make_patient, outbox, change, field, message
):
    make_patient(clinic["coordinator"], mrn="TAKEN")
    form = {**ENROLMENT, **change}
    browser.login(clinic["coordinator"])
    response = browser.submit("/patients/new", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html
    assert message in html
    assert 'value="Nina New"' in html  # what was typed is kept
    assert outbox == []
    with app.app_context():
        assert (
            db.session.scalars(select(Patient).where(Patient.mrn == "NEW-1")).first()
            is None
        )


def test_enrolment_needs_a_csrf_token(app, browser, clinic, outbox):
    """A complete, valid enrolment without its token is refused and creates
    nobody: the form alone would pass, so only the missing token refuses it."""
    browser.login(clinic["coordinator"])
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Patient))
    response = browser.client.post(
        "/patients/new", data={**ENROLMENT, "radiation_weeks": "2"}
    )
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patient)) == before
        assert (
            db.session.scalars(
                select(Patient).where(Patient.mrn == ENROLMENT["mrn"])
            ).all()
            == []
        )
    assert outbox == []


def test_moving_the_last_radiation_session_moves_the_radiation_phase(
    app, client, clinic, clock
):
    """A clinician's edit of one session keeps the stored radiation window current."""
    rad = clinic["patients"]["rad"].patient_id
    with app.app_context():
        last = db.session.scalars(
            select(TimelineEvent)
            .where(
                TimelineEvent.patient_id == rad,
                TimelineEvent.kind == "radiation_session",
            )
            .order_by(TimelineEvent.start_date.desc())
        ).first()
        last_id, last_day = last.id, last.start_date
    later = last_day + timedelta(days=7)
    headers = bearer_headers(client, clinic["second"])
    response = client.patch(
        f"/api/v1/patients/{rad}/events/{last_id}",
        json={"start_date": later.isoformat(), "end_date": later.isoformat()},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    noon = datetime(later.year, later.month, later.day, 18, tzinfo=UTC)
    # Days after the old last session, up to the moved one: still radiation.
    for day in (noon - timedelta(days=3), noon):
        clock.move_to(day)
        body = client.get("/api/v1/cohort?phase=radiation", headers=headers)
        assert [i["patient_id"] for i in body.get_json()["items"]] == [rad], day
    clock.move_to(noon + timedelta(days=1))
    body = client.get("/api/v1/cohort", headers=headers).get_json()
    assert body["items"][0]["phase"] == "rehabilitation"
