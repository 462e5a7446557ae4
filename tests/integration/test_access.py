"""Object-level authorization: who may open which page, and the audit trail of it."""

from __future__ import annotations

from sqlalchemy import func, select

from recovery.audit.models import AuditEvent
from recovery.auth.models import User
from recovery.extensions import db


def audit_actions(app, patient_id):
    with app.app_context():
        return db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.ip)
            .where(AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.id)
        ).all()


def test_patient_cannot_open_another_patients_page(browser, make_user, make_patient):
    clinician = make_user("clinician")
    me = make_patient(clinician)
    other = make_patient(clinician, name="Someone Else")
    browser.login(me)
    response = browser.client.get(f"/patients/{other.patient_id}")
    assert response.status_code == 403  # staff pages are not for patients
    assert "Someone Else" not in response.get_data(as_text=True)


def test_patient_cannot_open_staff_pages(browser, make_user, make_patient):
    me = make_patient(make_user("clinician"))
    browser.login(me)
    for path in ("/cohorts/", "/clinician/", "/admin/users", "/admin/users/new"):
        assert browser.client.get(path).status_code == 403, path


def test_staff_cannot_open_the_patient_home_page(browser, make_user):
    browser.login(make_user("coordinator"))
    assert browser.client.get("/patients/me").status_code == 403


def test_clinician_sees_own_care_team_patient_and_the_read_is_audited(
    app, browser, make_user, make_patient
):
    clinician = make_user("clinician")
    patient = make_patient(clinician, name="Ruth Reader")
    browser.login(clinician)
    response = browser.client.get(f"/patients/{patient.patient_id}")
    assert response.status_code == 200
    assert "Ruth Reader" in response.get_data(as_text=True)
    assert ("view_patient", clinician.id, "127.0.0.1") in audit_actions(
        app, patient.patient_id
    )


def test_clinician_outside_the_care_team_gets_403_and_the_attempt_is_audited(
    app, browser, make_user, make_patient
):
    outsider = make_user("clinician")
    patient = make_patient(make_user("clinician"), name="Private Person")
    browser.login(outsider)
    response = browser.client.get(f"/patients/{patient.patient_id}")
    assert response.status_code == 403
    assert "Private Person" not in response.get_data(as_text=True)
    assert audit_actions(app, patient.patient_id) == [
        ("access_denied", outsider.id, "127.0.0.1")
    ]


def test_staff_lists_show_only_their_care_teams_patients(
    browser, make_user, make_patient
):
    coordinator = make_user("coordinator")
    make_patient(coordinator, name="Mine Patient")
    make_patient(make_user("coordinator"), name="Theirs Patient")
    browser.login(coordinator)
    page = browser.client.get("/cohorts/").get_data(as_text=True)
    assert "Mine Patient" in page
    assert "Theirs Patient" not in page


def test_admin_sees_every_patient(browser, make_user, make_patient):
    make_patient(make_user("clinician"), name="Anyone Patient")
    browser.login(make_user("admin"))
    assert "Anyone Patient" in browser.client.get("/cohorts/").get_data(as_text=True)


def test_unknown_patient_is_404(browser, make_user):
    browser.login(make_user("admin"))
    assert browser.client.get("/patients/999999").status_code == 404


def test_anonymous_visitor_is_sent_to_login(client, make_user, make_patient):
    patient = make_patient(make_user("clinician"))
    response = client.get(f"/patients/{patient.patient_id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_non_admin_cannot_create_staff(app, browser, make_user):
    browser.login(make_user("clinician"))
    assert browser.client.get("/admin/users/new").status_code == 403
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(User))
    # A complete, valid form with a good CSRF token: refused for the role alone.
    response = browser.submit(
        "/admin/users/new",
        {
            "name": "New Clinician",
            "email": "new.clinician@example.org",
            "role": "clinician",
            "timezone": "America/Chicago",
        },
        form_url="/account",
    )
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == before
        assert (
            db.session.scalar(
                select(User).where(User.email == "new.clinician@example.org")
            )
            is None
        )


def test_admin_cannot_deactivate_themselves(browser, make_user):
    admin = make_user("admin")
    browser.login(admin)
    response = browser.submit(
        f"/admin/users/{admin.id}/deactivate",
        {},
        form_url="/admin/users",
        follow_redirects=True,
    )
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    assert browser.client.get("/admin/users").status_code == 200


def test_staff_list_shows_day_after_surgery_and_phase(browser, make_user, make_patient):
    import time_machine

    clinician = make_user("clinician")
    make_patient(clinician, name="Phase Person")  # surgery on 10 Nov 2026
    with time_machine.travel("2026-11-26 15:00 +0000", tick=False):
        browser.login(clinician)
        page = browser.client.get("/cohorts/").get_data(as_text=True)
    row = page[page.index("Phase Person") :]
    assert "<td>16</td>" in row[:400]
    assert "<td>Early recovery</td>" in row[:400]
