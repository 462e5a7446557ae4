"""axe-core on every main page of every role: no serious or critical violations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.pages import PAGES, log_in, seed_demo

pytestmark = pytest.mark.e2e
AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def demo_ids(app):
    return seed_demo(app)


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    "email", list(PAGES), ids=lambda e: (e or "anonymous").split("@")[0]
)
def test_main_pages_have_no_serious_accessibility_violations(
    live_server, chromium, demo_ids, email
):
    # Injecting axe needs the CSP lifted for the test's own script only.
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    if email:
        log_in(page, live_server, email)
    found = {}
    for path in PAGES[email]:
        response = page.goto(live_server + path.format(**demo_ids))
        assert response.status < 400, (path, response.status)
        problems = serious_violations(page)
        if problems:
            found[path] = problems
    context.close()
    assert found == {}
