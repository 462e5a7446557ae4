"""Load profile for bench/load.py: patients checking in and viewing their page,
staff browsing dashboards; and single-page users for the throughput ratio.

Run by bench/load.py with Locust from its own virtualenv (.venv-load).
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, constant, task

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
PASSWORD = os.environ.get("LOAD_PASSWORD", "bench-password-1")
PATIENTS = int(os.environ.get("LOAD_PATIENT_ACCOUNTS", "100"))
_patient_numbers = itertools.count()
_staff_numbers = itertools.count()
_logins = itertools.count(1)


def log_in(user: HttpUser, email: str) -> None:
    page = user.client.get("/login", name="/login")
    token = CSRF.search(page.text).group(1)
    reply = user.client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        name="/login",
        allow_redirects=False,
    )
    if reply.status_code != 302:
        raise RuntimeError(f"login of {email} gave {reply.status_code}")
    # Steady-state runs (--reset-stats) start their figures over once the last
    # user is in, not when the last one arrives: the logins' argon2 work (slow on
    # purpose) would otherwise be counted against the pages.
    options = user.environment.parsed_options
    if options.reset_stats and next(_logins) == options.num_users:
        user.environment.stats.reset_all()


class Patient(HttpUser):
    """A patient on their phone: home page, timeline, a check-in now and then."""

    fixed_count = 100
    wait_time = between(1, 3)

    def on_start(self) -> None:
        log_in(self, f"p{next(_patient_numbers) % PATIENTS}@bench.example.org")

    @task(4)
    def home(self) -> None:
        self.client.get("/patients/me", name="/patients/me")

    @task(1)
    def timeline(self) -> None:
        self.client.get("/timeline/me", name="/timeline/me")

    @task(1)
    def check_in(self) -> None:
        form = self.client.get("/symptoms/check-in", name="/symptoms/check-in")
        token = CSRF.search(form.text).group(1)
        self.client.post(
            "/symptoms/check-in",
            data={"csrf_token": token, "back_pain": str(random.randint(0, 6))},
            name="/symptoms/check-in [post]",
        )


class Staff(HttpUser):
    """A coordinator or clinician going through dashboards."""

    fixed_count = 10
    wait_time = between(1, 3)

    def on_start(self) -> None:
        # c0..c9 coordinate, c10..c19 are clinicians (bench/cohort.py's clinic).
        n = next(_staff_numbers)
        log_in(self, f"c{n if n < 5 else n + 5}@bench.example.org")

    @task(3)
    def cohort(self) -> None:
        self.client.get("/cohorts/", name="/cohorts/")

    @task(2)
    def filtered(self) -> None:
        phase = random.choice(["radiation", "early_recovery", "rehabilitation"])
        self.client.get(f"/cohorts/?phase={phase}", name="/cohorts/?phase=")

    @task(1)
    def alerts_only(self) -> None:
        self.client.get("/cohorts/?open_alerts=true", name="/cohorts/?open_alerts=")

    @task(1)
    def schedule(self) -> None:
        self.client.get("/clinician/", name="/clinician/")


class Account(HttpUser):
    """The lightest signed-in page, /account, as fast as it answers: the baseline
    of the home page's throughput (issue 21), with the same patients' logins."""

    fixed_count = 0
    wait_time = constant(0)

    def on_start(self) -> None:
        log_in(self, f"p{next(_patient_numbers) % PATIENTS}@bench.example.org")

    @task
    def account(self) -> None:
        self.client.get("/account", name="/account")


class Home(HttpUser):
    """The patient home page, as fast as it answers (same users as Account)."""

    fixed_count = 0
    wait_time = constant(0)

    def on_start(self) -> None:
        log_in(self, f"p{next(_patient_numbers) % PATIENTS}@bench.example.org")

    @task
    def home(self) -> None:
        self.client.get("/patients/me", name="/patients/me")
