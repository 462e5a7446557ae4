"""The Spanish catalogue covers every string a patient or caregiver can see in a
template (issue 20): extracted with Babel from the templates themselves, compared
with the committed es catalogue (a missing or fuzzy msgstr fails)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po

from recovery.i18n import WORD_TABLES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"
SPANISH = ROOT / "recovery" / "translations" / "es" / "LC_MESSAGES" / "messages.po"

# Every template a patient or caregiver is shown: their pages, the macros those
# pages use, the emails they receive, the sign-in pages and the error page.
PATIENT_TEMPLATES = (
    "base.html",
    "errors/error.html",
    "patients/home.html",
    "patients/access.html",
    "symptoms/check_in.html",
    "symptoms/result.html",
    "symptoms/history.html",
    "symptoms/odi.html",
    "timeline/mine.html",
    "timeline/_education.html",
    "reminders/inbox.html",
    "reminders/preferences.html",
    "messages/mine.html",
    "messages/_thread.html",
    "messages/_home_links.html",
    "caregivers/mine.html",
    "caregivers/choose.html",
    "caregivers/accept.html",
    "caregivers/email_invitation.html",
    "caregivers/email_invitation.txt",
    "auth/login.html",
    "auth/login_code.html",
    "auth/reset_request.html",
    "auth/set_password.html",
    "auth/link_invalid.html",
    "auth/account.html",
    "auth/two_factor.html",
    "auth/tokens.html",
    "email/invitation.html",
    "email/invitation.txt",
    "email/password_reset.html",
    "email/password_reset.txt",
    "email/reminder.html",
    "macros/urgent.html",
    "macros/timeline.html",
    "macros/patients.html",
    "macros/symptoms.html",
    "macros/forms.html",
    "macros/charts.html",
    "macros/pager.html",
)


def template_strings(names: tuple[str, ...]) -> dict[str, set[str]]:
    """msgid (the singular of a plural) -> the templates that use it."""
    used: dict[str, set[str]] = {}
    for name in names:
        for _line, message, _comments, _context in extract_from_file(
            "jinja2",
            TEMPLATES / name,
            keywords=DEFAULT_KEYWORDS,
            options={"trimmed": "true"},
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            used.setdefault(msgid, set()).add(name)
    return used


def untranslated(used: dict[str, set[str]], catalog: Catalog) -> list[str]:
    """Each used string with no msgstr, a partly empty plural, or a fuzzy one."""
    problems = []
    for msgid, where in sorted(used.items()):
        entry = catalog.get(msgid)
        strings = (
            list(entry.string)
            if entry is not None and isinstance(entry.string, tuple)
            else [entry.string if entry is not None else ""]
        )
        if entry is None or not all(strings):
            problems.append(f"missing: {msgid!r} ({', '.join(sorted(where))})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({', '.join(sorted(where))})")
    return problems


def spanish_catalog() -> Catalog:
    with SPANISH.open("rb") as po:
        return read_po(po, locale="es")


def test_every_patient_template_exists():
    missing = [name for name in PATIENT_TEMPLATES if not (TEMPLATES / name).exists()]
    assert missing == []


def word_strings() -> dict[str, set[str]]:
    """msgid -> its table, for the code words pages show (recovery.i18n.word)."""
    return {
        msgid: {f"word table {table!r}"}
        for table, words in WORD_TABLES.items()
        for msgid in words.values()
    }


def test_spanish_catalogue_translates_every_patient_facing_string():
    used = template_strings(PATIENT_TEMPLATES)
    assert len(used) > 290  # the extraction found the templates' strings
    words = word_strings()
    # The plan summary's words, among others, live in the tables.
    assert {"Open resection", "Epidural", "malignant", "origin unknown"} <= set(words)
    assert untranslated({**used, **words}, spanish_catalog()) == []


@pytest.mark.parametrize("damage", ["drop", "empty", "fuzzy"])
def test_the_check_notices_a_missing_or_fuzzy_translation(damage):
    used = template_strings(("patients/home.html",))
    catalog = spanish_catalog()
    msgid = "Today's check-in"
    assert msgid in used and untranslated(used, catalog) == []
    if damage == "drop":
        del catalog[msgid]
    elif damage == "empty":
        catalog[msgid].string = ""
    else:
        catalog[msgid].flags.add("fuzzy")
    assert [p.split(":")[0] for p in untranslated(used, catalog)] == [
        "fuzzy" if damage == "fuzzy" else "missing"
    ]
