"""ETags and If-Match: two staff edit one record; the second gets 412, none lost."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import time_machine
from sqlalchemy import select

from recovery.audit.models import AuditEvent
from recovery.extensions import db
from recovery.patients.models import Patient
from tests.conftest import bearer_headers
from tests.integration.test_cohort import build_timeline

NOW = "2026-11-26 15:00 +0000"


def setup(app, client, make_user, make_patient):
    clinician = make_user("clinician")
    account = make_patient(clinician, surgery_date=date(2026, 11, 10))
    build_timeline(app, account.patient_id)
    return account.patient_id, bearer_headers(client, clinician)


def test_get_sends_an_etag_and_304_when_unchanged(app, client, make_user, make_patient):
    pid, headers = setup(app, client, make_user, make_patient)
    for path in (f"/api/v1/patients/{pid}", f"/api/v1/patients/{pid}/timeline"):
        first = client.get(path, headers=headers)
        tag = first.headers["ETag"]
        assert tag.startswith('"') and first.status_code == 200
        again = client.get(path, headers={**headers, "If-None-Match": tag})
        assert again.status_code == 304 and again.data == b""


def test_a_change_gives_new_etags_to_the_patient_and_the_timeline(
    app, client, make_user, make_patient
):
    pid, headers = setup(app, client, make_user, make_patient)
    before = [
        client.get(p, headers=headers).headers["ETag"]
        for p in (f"/api/v1/patients/{pid}", f"/api/v1/patients/{pid}/timeline")
    ]
    events = client.get(f"/api/v1/patients/{pid}/timeline", headers=headers).get_json()
    event = events["events"][3]
    done = client.post(
        f"/api/v1/patients/{pid}/events/{event['id']}/complete", headers=headers
    )
    assert done.status_code == 200
    after = [
        client.get(p, headers=headers).headers["ETag"]
        for p in (f"/api/v1/patients/{pid}", f"/api/v1/patients/{pid}/timeline")
    ]
    assert before[0] != after[0] and before[1] != after[1]


@pytest.mark.travel("2026-12-20 15:00 +0000")
def test_an_answered_odi_changes_the_timelines_etag(
    app, client, make_user, make_patient
):
    # Day 40 after surgery: the six-week ODI (odi:0) is due.
    pid, headers = setup(app, client, make_user, make_patient)
    path = f"/api/v1/patients/{pid}/timeline"
    first = client.get(path, headers=headers)
    odi = next(e for e in first.get_json()["events"] if e["key"] == "odi:0")
    assert odi["status"] == "due"
    answered = client.post(
        f"/api/v1/patients/{pid}/questionnaires/odi",
        json={"answers": [2] * 10},
        headers=headers,
    )
    assert answered.status_code == 201
    again = client.get(
        path, headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 200
    assert again.headers["ETag"] != first.headers["ETag"]
    odi = next(e for e in again.get_json()["events"] if e["key"] == "odi:0")
    assert odi["status"] == "done"


def test_the_second_patch_with_the_same_etag_gets_412_and_nothing_is_lost(
    app, client, make_user, make_patient
):
    pid, headers = setup(app, client, make_user, make_patient)
    tag = client.get(f"/api/v1/patients/{pid}", headers=headers).headers["ETag"]
    first = client.patch(
        f"/api/v1/patients/{pid}",
        json={"tumor_type": "schwannoma"},
        headers={**headers, "If-Match": tag},
    )
    assert first.status_code == 200
    second = client.patch(
        f"/api/v1/patients/{pid}",
        json={"tumor_type": "meningioma"},
        headers={**headers, "If-Match": tag},
    )
    assert second.status_code == 412
    assert second.get_json()["error"]["code"] == "precondition_failed"
    assert "If-Match" in second.get_json()["error"]["fields"]
    current = client.get(f"/api/v1/patients/{pid}", headers=headers)
    assert current.get_json()["tumor_type"] == "schwannoma"
    # Re-read, retry with the new tag: it goes through.
    retry = client.patch(
        f"/api/v1/patients/{pid}",
        json={"tumor_type": "meningioma"},
        headers={**headers, "If-Match": current.headers["ETag"]},
    )
    assert retry.status_code == 200 and retry.get_json()["tumor_type"] == "meningioma"


def test_a_refused_patch_leaves_the_etag_good_and_its_read_audited(
    app, client, make_user, make_patient
):
    pid, headers = setup(app, client, make_user, make_patient)
    tag = client.get(f"/api/v1/patients/{pid}", headers=headers).headers["ETag"]
    refused = client.patch(
        f"/api/v1/patients/{pid}",
        json={"tumor_type": "schwannoma", "clinician_id": 999_999},
        headers={**headers, "If-Match": tag},
    )
    assert refused.status_code == 422
    assert "clinician_id" in refused.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.get(Patient, pid).tumor_type != "schwannoma"
        reads = db.session.scalars(
            select(AuditEvent.id).where(
                AuditEvent.patient_id == pid, AuditEvent.action == "api_view_patient"
            )
        ).all()
    assert len(reads) == 2  # the GET and the refused PATCH
    # Nothing changed, so the tag the client holds still works.
    fixed = client.patch(
        f"/api/v1/patients/{pid}",
        json={"tumor_type": "schwannoma"},
        headers={**headers, "If-Match": tag},
    )
    assert fixed.status_code == 200, fixed.get_json()


def test_concurrent_patches_with_the_same_etag_one_wins_one_gets_412(
    app, client, make_user, make_patient
):
    pid, headers = setup(app, client, make_user, make_patient)
    tag = client.get(f"/api/v1/patients/{pid}", headers=headers).headers["ETag"]
    barrier = threading.Barrier(2)
    results: dict[str, int] = {}

    def patch(value: str) -> None:
        mine = app.test_client()
        barrier.wait()
        response = mine.patch(
            f"/api/v1/patients/{pid}",
            json={"tumor_type": value},
            headers={**headers, "If-Match": tag},
        )
        results[value] = response.status_code

    threads = [threading.Thread(target=patch, args=(v,)) for v in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200, 412], results
    winner = next(v for v, status in results.items() if status == 200)
    with app.app_context():
        patient = db.session.get(Patient, pid)
        assert patient.tumor_type == winner


def test_event_patch_honours_the_timeline_etag(app, client, make_user, make_patient):
    pid, headers = setup(app, client, make_user, make_patient)
    with time_machine.travel(NOW, tick=False):
        timeline = client.get(f"/api/v1/patients/{pid}/timeline", headers=headers)
        tag = timeline.headers["ETag"]
        first, second = timeline.get_json()["events"][4:6]
        moved = client.patch(
            f"/api/v1/patients/{pid}/events/{first['id']}",
            json={"title": "Moved by Dr A"},
            headers={**headers, "If-Match": tag},
        )
        stale = client.patch(
            f"/api/v1/patients/{pid}/events/{second['id']}",
            json={"title": "Moved by Dr B"},
            headers={**headers, "If-Match": tag},
        )
        assert moved.status_code == 200 and stale.status_code == 412
        titles = {
            e["id"]: e["title"]
            for e in client.get(
                f"/api/v1/patients/{pid}/timeline", headers=headers
            ).get_json()["events"]
        }
    assert titles[first["id"]] == "Moved by Dr A"
    assert titles[second["id"]] == second["title"]


def test_patch_without_if_match_still_works(app, client, make_user, make_patient):
    pid, headers = setup(app, client, make_user, make_patient)
    response = client.patch(
        f"/api/v1/patients/{pid}", json={"tumor_type": "ependymoma"}, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["ETag"]


def test_api_rate_limit_is_per_token(app, client, make_user, make_patient):
    pid, first = setup(app, client, make_user, make_patient)
    second = bearer_headers(client, make_user("clinician"))
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        replies = [
            client.get(f"/api/v1/patients/{pid}", headers=first) for _ in range(4)
        ]
        other = client.get("/api/v1/patients", headers=second)
    finally:
        app.config["API_RATE_LIMIT"] = "300 per minute"
    assert [r.status_code for r in replies] == [200, 200, 200, 429]
    assert replies[3].get_json()["error"]["code"] == "rate_limited"
    assert int(replies[3].headers["Retry-After"]) > 0
    assert other.status_code == 200  # another token has its own budget
    limited = client.get(f"/api/v1/patients/{pid}", headers=first)
    assert limited.status_code == 200  # the limit is read per request


def test_list_endpoints_link_their_pages_and_keep_the_filters(
    app, client, make_user, make_patient
):
    clinician = make_user("clinician")
    for n in range(5):
        make_patient(clinician, malignancy="malignant" if n % 2 else "benign")
    make_patient(clinician, malignancy="malignant")
    headers = bearer_headers(client, clinician)
    first = client.get(
        "/api/v1/patients?malignancy=malignant&per_page=2", headers=headers
    )
    body = first.get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert set(body["links"]) == {"self", "first", "last", "next"}
    assert "malignancy=malignant" in body["links"]["next"]
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(body["links"]["next"], headers=headers).get_json()
    assert second["page"] == 2 and len(second["items"]) == 1
    assert "next" not in second["links"] and "prev" in second["links"]
    seen = {p["id"] for p in body["items"]} | {p["id"] for p in second["items"]}
    assert len(seen) == 3
    cohort = client.get("/api/v1/cohort?per_page=4", headers=headers).get_json()
    assert "page=2" in cohort["links"]["last"] and cohort["total"] == 6
