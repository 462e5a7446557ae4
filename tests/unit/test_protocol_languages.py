"""Texts in several languages in the data files: a complete file loads; a missing or
mismatched Spanish text is refused naming the file, the item and the language; with
only English enabled no Spanish is needed; a stored event or finding reads in Spanish
only when it is the file's English, with the same numbers."""

from __future__ import annotations

import re
import tomllib

import pytest

from recovery.domain.event_texts import EventText, event_text, params_of, render_item
from recovery.domain.messages import guidance, load_message_signs, urgent_signs
from recovery.domain.plan import BracePlan, RadiationPlan
from recovery.domain.protocol import (
    PROTOCOL_DIR,
    ProtocolError,
    load_protocol,
    load_protocols,
    parse_protocol,
)
from recovery.domain.questionnaire import (
    ODI_FILE,
    QuestionnaireFileError,
    load_odi,
    parse_odi,
)
from recovery.domain.symptoms import (
    RED_FLAGS_FILE,
    CheckIn,
    RedFlagError,
    finding_text,
    load_red_flags,
    parse_red_flags,
    urgent_findings,
)
from recovery.domain.timeline import build
from tests.unit.test_timeline import plan

BOTH = ("en", "es")
PROTOCOL = """
id = "test"
version = "1"
title = "Test"
title_es = "Prueba"
procedures = ["biopsy"]

[[items]]
id = "activity_1"
kind = "activity_restriction"
title = "Take it easy"
title_es = "Con calma"
instructions = "Walk often."
instructions_es = "Camine a menudo."
schedule = { type = "span", start_day = 0, end_day = 7 }
ends_reason = "A short recovery."
allowed = ["Walking"]
allowed_es = ["Caminar"]
not_allowed = ["Lifting more than 4.5 kg (10 lb)"]
not_allowed_es = ["Levantar más de 4.5 kg (10 lb)"]

[[items]]
id = "radiation"
kind = "radiation_session"
title = "Radiation session {n} of {total}"
title_es = "Sesión de radioterapia {n} de {total}"
instructions = "About {minutes} minutes, every weekday for {weeks} weeks."
instructions_es = "Unos {minutes} minutos, de lunes a viernes durante {weeks} semanas."
when = { radiation = true }
schedule = { type = "radiation" }

[check_in]
daily_until = 42
weekly_until = 90
days_before = 2

[radiation]
default_minutes = 15
minutes_per_session = [15, 20]

[[education]]
id = "pain"
title = "Pain"
title_es = "El dolor"
text = "Tell us about your pain."
text_es = "Cuéntenos cómo está su dolor."
"""


def parsed(text: str, languages=BOTH):
    return parse_protocol(tomllib.loads(text), "clinic/test.toml", languages)


def without(text: str, line: str) -> str:
    assert line in text, line
    return text.replace(line + "\n", "", 1)


@pytest.mark.parametrize("languages", [("en",), BOTH], ids=["en", "en+es"])
def test_a_complete_file_loads_in_every_enabled_language(languages):
    protocol = parsed(PROTOCOL, languages)
    spanish = protocol.item("activity_1").text("es")
    if "es" in languages:
        assert spanish.title == "Con calma"
        assert spanish.allowed == ("Caminar",)
        assert protocol.title_in("es") == "Prueba"
        assert protocol.education[0].in_language("es").text.startswith("Cuéntenos")
    else:  # not loaded: English, never a half-translated page
        assert spanish.title == "Take it easy"


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ('title_es = "Con calma"', "item 1 'activity_1'"),
        ('instructions_es = "Camine a menudo."', "item 1 'activity_1'"),
        ('allowed_es = ["Caminar"]', "item 1 'activity_1'"),
        ('not_allowed_es = ["Levantar más de 4.5 kg (10 lb)"]', "item 1 'activity_1'"),
        ('title_es = "Sesión de radioterapia {n} de {total}"', "item 2 'radiation'"),
        ('text_es = "Cuéntenos cómo está su dolor."', "education 1 'pain'"),
        ('title_es = "El dolor"', "education 1 'pain'"),
        ('title_es = "Prueba"', "clinic/test.toml"),
    ],
)
def test_a_missing_spanish_text_names_the_file_item_and_language(line, item):
    key = line.split(" = ")[0]
    with pytest.raises(ProtocolError) as error:
        parsed(without(PROTOCOL, line))
    message = str(error.value)
    assert message.startswith("clinic/test.toml")
    assert item in message
    assert f"missing '{key}'" in message
    assert "Spanish ('es')" in message


@pytest.mark.parametrize(
    "line",
    [
        'title_es = "Con calma"',
        'allowed_es = ["Caminar"]',
        'title_es = "Sesión de radioterapia {n} de {total}"',
        'text_es = "Cuéntenos cómo está su dolor."',
        'title_es = "Prueba"',
    ],
)
def test_with_only_english_enabled_no_spanish_is_needed(line):
    protocol = parsed(without(PROTOCOL, line), ("en",))
    assert protocol.item("radiation").title == "Radiation session {n} of {total}"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            ("Sesión de radioterapia {n} de {total}", "Sesión de radioterapia {n}"),
            "'title_es' must use the same placeholders as 'title' ({n}, {total})",
        ),
        (
            ("durante {weeks} semanas", "durante {semanas} semanas"),
            "'instructions_es' must use the same placeholders",
        ),
        (('allowed_es = ["Caminar"]', 'allowed_es = ["Caminar", "Correr"]'), "has 2"),
        (('allowed_es = ["Caminar"]', 'allowed_es = "Caminar"'), "list of texts"),
        (('title_es = "Con calma"', 'title_es = ""'), "non-empty text"),
    ],
)
def test_a_translation_that_does_not_match_its_english_is_refused(change, reason):
    with pytest.raises(ProtocolError, match=re.escape(reason)) as error:
        parsed(PROTOCOL.replace(*change))
    assert str(error.value).startswith("clinic/test.toml: ")


@pytest.mark.parametrize("path", sorted(PROTOCOL_DIR.glob("*.toml")), ids=str)
def test_every_shipped_protocol_is_complete_in_spanish_with_the_same_numbers(path):
    protocol = load_protocol(path, BOTH)
    numbers = re.compile(r"\d+(?:\.\d+)?")
    for item in protocol.items:
        english, spanish = item.text("en"), item.text("es")
        assert spanish != english, item.id
        for ours, theirs in (
            (english.title, spanish.title),
            (english.instructions, spanish.instructions),
            *zip(
                english.allowed + english.not_allowed,
                spanish.allowed + spanish.not_allowed,
                strict=True,
            ),
        ):
            assert sorted(numbers.findall(ours)) == sorted(numbers.findall(theirs)), (
                item.id,
                theirs,
            )
    for entry in protocol.education:
        spanish = entry.in_language("es")
        assert sorted(numbers.findall(entry.text)) == sorted(
            numbers.findall(spanish.text)
        ), entry.id


def test_the_shipped_questionnaire_and_rules_are_complete_in_spanish():
    odi = load_odi(languages=BOTH).in_language("es")
    assert odi.sections[0].title == "Intensidad del dolor"
    rules = load_red_flags(languages=BOTH)
    assert len(rules.signs_in("es")) == len(rules.urgent_signs)
    assert "una temperatura de 38.3 °C o más" in rules.signs_in("es")
    assert rules.advice_in("es").startswith("Llame ahora a su equipo médico")


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ('title_es = "Intensidad del dolor"', "section 1 'pain_intensity'"),
        ('high_es = "El peor dolor que me puedo imaginar"', "section 1"),
        ('title_es = "Cuestionario de la espalda (ODI)"', "odi.toml"),
    ],
)
def test_an_odi_file_missing_spanish_names_the_section_and_language(line, where):
    text = without(ODI_FILE.read_text(encoding="utf-8"), line)
    key = line.split(" = ")[0]
    with pytest.raises(QuestionnaireFileError) as error:
        parse_odi(tomllib.loads(text), "clinic/odi.toml", BOTH)
    assert str(error.value).startswith("clinic/odi.toml")
    assert where.replace("odi.toml", "clinic/odi.toml") in str(error.value)
    assert f"missing '{key}'" in str(error.value) and "'es'" in str(error.value)
    parse_odi(tomllib.loads(text), "clinic/odi.toml", ("en",))  # English only: fine


def test_licensed_odi_choices_need_their_spanish_when_spanish_is_on(tmp_path):
    text = ODI_FILE.read_text(encoding="utf-8").replace(
        'id = "lifting"\n',
        'id = "lifting"\nchoices = ["c0", "c1", "c2", "c3", "c4", "c5"]\n',
    )
    with pytest.raises(QuestionnaireFileError, match="section 3 'lifting': missing"):
        parse_odi(tomllib.loads(text), "clinic/odi.toml", BOTH)


RULES = RED_FLAGS_FILE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ('  "no puede orinar",', "'urgent_signs_es' has 10 texts"),
        ('fever_es = "Temperatura de {temperature} °C (fiebre)."', "[findings] fever"),
        (
            'advice_es = "Llame ahora a su equipo médico. Si no logra comunicarse con '
            'ellos, llame a emergencias."',
            "[guidance]",
        ),
    ],
)
def test_a_rules_file_missing_spanish_names_the_key_and_language(line, where):
    text = without(RULES, line)
    with pytest.raises(RedFlagError) as error:
        parse_red_flags(tomllib.loads(text), "clinic/red_flags.toml", BOTH)
    assert str(error.value).startswith("clinic/red_flags.toml: ")
    assert where in str(error.value)
    assert "'es'" in str(error.value)
    parse_red_flags(tomllib.loads(text), "clinic/red_flags.toml", ("en",))


def test_a_finding_must_keep_its_values():
    text = RULES.replace(
        'fever = "Temperature {temperature} °C (fever)."', 'fever = "A fever."'
    )
    with pytest.raises(RedFlagError, match=r"\[findings\] fever: must use"):
        parse_red_flags(tomllib.loads(text), "clinic/red_flags.toml")


# -- Stored texts read in the reader's language -----------------------------------

SHIPPED = load_protocols(languages=BOTH)


def stored(event) -> EventText:
    return EventText(event.title, event.instructions, event.allowed, event.not_allowed)


def test_every_built_event_reads_in_spanish_with_its_own_numbers():
    p = plan(
        radiation=RadiationPlan(planned=True, start_day=10, weeks=3),
        brace=BracePlan(required=True, weeks=6),
    )
    protocol = SHIPPED[p.procedure]
    events = build(p, protocol)
    for planned in events:
        spanish = event_text(protocol, planned.item_id, stored(planned), "es")
        assert spanish != stored(planned), planned.key
        assert event_text(protocol, planned.item_id, stored(planned), "en") == stored(
            planned
        )
    session = next(e for e in events if e.key == "radiation:2")
    spanish = event_text(protocol, "radiation", stored(session), "es")
    total = sum(1 for e in events if e.item_id == "radiation")
    assert spanish.title == f"Sesión de radioterapia 3 de {total}"
    assert f"unos {p.radiation.minutes_per_session} minutos" in spanish.instructions
    assert params_of(protocol.item("radiation"), session.title, session.instructions)


@pytest.mark.parametrize(
    ("item_id", "title", "instructions"),
    [
        ("wound_check", "Wound check with Dr Ruiz", None),  # a clinician's rewording
        ("wound_check", None, "Bring your list of medicines."),
        ("extra", "Extra MRI", "At the main hospital."),  # not a protocol item
        ("radiation", "Radiation session 3", None),  # an older wording
    ],
)
def test_a_text_that_is_not_the_protocols_stays_as_written(
    item_id, title, instructions
):
    protocol = SHIPPED["open_resection"]
    item = protocol.item("wound_check")
    text = EventText(title or item.title, instructions or item.instructions)
    assert event_text(protocol, item_id, text, "es") == text


def test_one_changed_text_keeps_the_whole_event_as_written():
    protocol = SHIPPED["open_resection"]
    item = protocol.item("activity_1")
    english = render_item(item, {})
    edited = EventText(english.title, english.instructions, ("Walking",), ())
    assert event_text(protocol, "activity_1", edited, "es") == edited


def test_a_stored_finding_reads_in_spanish_with_its_numbers():
    rules = load_red_flags(languages=BOTH)
    [fever] = urgent_findings(
        CheckIn(recorded_at=None, back_pain=2, temperature_c=38.64),  # type: ignore[arg-type]
        None,
        rules,
    )
    assert fever.message == "Temperature 38.6 °C (fever)."
    assert finding_text(rules, "fever", fever.message, "es") == (
        "Temperatura de 38.6 °C (fiebre)."
    )
    assert finding_text(rules, "fever", fever.message, "en") == fever.message
    assert finding_text(rules, "fever", "Fever, said the nurse.", "es") == (
        "Fever, said the nurse."
    )


# -- Urgent words in messages, in either language ----------------------------------


@pytest.mark.parametrize(
    ("text", "rules"),
    [
        ("Tengo fiebre y no puedo orinar", ["urinary_retention", "fever"]),
        ("Me siento MÁS DÉBIL de las piernas", ["leg_weakness_worse"]),
        ("mas debil hoy, sin acentos", ["leg_weakness_worse"]),
        ("La herida supura un poco", ["wound"]),
        ("dolor en el pecho", ["call_at_once"]),
        ("¿Cuándo es mi próxima cita?", []),
    ],
)
def test_urgent_words_are_found_in_spanish_accents_or_not(text, rules):
    assert [sign.rule for sign in urgent_signs(text)] == rules


def test_the_guidance_reads_in_spanish_with_the_same_numbers():
    signs = urgent_signs("fiebre y no puedo orinar")
    text = guidance(signs, "555-0100", "911", 38.0, "es")
    assert text.startswith("Los mensajes se leen en horario de consulta.")
    assert "que no puede orinar o fiebre de 38\u00a0°C o más" in text
    assert "llame ahora a su equipo médico al 555-0100" in text
    assert "llame a emergencias (911)" in text
    without_phone = guidance(signs, "", "112", 38.0, "es")
    assert "equipo médico al número de su carta de alta" in without_phone


def test_the_shipped_message_signs_are_complete_in_spanish():
    signs, texts = load_message_signs(languages=BOTH)
    assert all(dict(sign.says).get("es") for sign in signs)
    assert dict(texts.text)["es"]
