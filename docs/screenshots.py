"""Screenshots of the main pages on a 390 x 844 phone, for the README.

Rerun with `make screenshots` (or `.venv/bin/python docs/screenshots.py`): it seeds the
demo clinic into a throw-away SQLite database, serves it on a free loopback port and
photographs each page in Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
The pictures show today's demo, so they change with the date they are taken on.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# (file, login, path): the first screen a person sees on each page.
SHOTS = [
    ("patient-home.png", "patient9@demo.example.org", "/patients/me"),
    ("patient-check-in.png", "patient9@demo.example.org", "/symptoms/check-in"),
    ("patient-timeline.png", "patient9@demo.example.org", "/timeline/me"),
    ("clinician-schedule.png", "clinician@demo.example.org", "/clinician/"),
]


def serve(database: Path) -> tuple[object, str]:
    """The demo clinic on a free loopback port, in a thread."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from recovery import create_app, demo
    from recovery.extensions import db
    from recovery.orm import utcnow
    from recovery.zones import local_today

    app = create_app(
        "development",
        overrides={
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "MAIL_BACKEND": "locmem",
            "RATELIMIT_ENABLED": False,
        },
    )
    with app.app_context():
        upgrade()
        now = utcnow()
        demo.seed(local_today("America/Chicago", now), now)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def photograph(base: str) -> list[Path]:
    """Log in as each page's person and save its first phone screen."""
    from playwright.sync_api import sync_playwright

    from recovery.demo import DEMO_PASSWORD

    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        for name, email, path in SHOTS:
            context = browser.new_context(viewport=PHONE)
            page = context.new_page()
            page.goto(f"{base}/login")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "/login" not in url)
            page.goto(base + path)
            target = OUT / name
            page.screenshot(path=str(target))
            written.append(target)
            context.close()
        browser.close()
    return written


def main() -> None:
    """Seed, serve, photograph, report."""
    with tempfile.TemporaryDirectory() as tmp:
        server, base = serve(Path(tmp) / "screenshots.db")
        try:
            for path in photograph(base):
                print(f"wrote {path.relative_to(ROOT)}")
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
