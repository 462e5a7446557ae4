"""Care protocols: TOML files of timeline items, loaded into frozen dataclasses.

A protocol is data a clinic can change; every number of ../shared/clinical.md lives in
a protocol file, not in code. A bad file fails loudly with the file, the item and why.
Every text a patient reads carries its translations beside it (`title_es`), one per
enabled language (recovery.domain.languages).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from recovery.domain.languages import (
    SOURCE_LANGUAGE,
    ListTexts,
    Texts,
    is_translation_key,
    pick,
    translated,
    translated_list,
)
from recovery.domain.plan import ORIGINS, PROCEDURES, TUMOR_LOCATIONS

PROTOCOL_DIR = Path(__file__).parent / "protocols"

EVENT_KINDS = (
    "activity_restriction",
    "brace",
    "radiation_session",
    "wound_check",
    "follow_up_visit",
    "imaging",
    "therapy",
    "pain_review",
    "questionnaire",
)
# How an item turns into dated occurrences.
# "on_pain_rise": no dated occurrence in the plan; opened when a pain warning fires.
SCHEDULE_TYPES = ("span", "days", "weekly", "radiation", "brace", "on_pain_rise")
# Named reminder rules; the reminders feature decides what each one sends when.
REMINDER_RULES = (
    "evening_before",
    "morning_of",
    "week_before",
    "day_before",
    "when_due",
    "again_after_2_days",
)
CONDITION_KEYS = ("radiation", "brace", "malignant", "tumor_location", "origin")
# Pages where an education text can be shown.
EDUCATION_PAGES = ("home", "timeline")
# Kinds that a check-in is asked before, once the weekly check-ins are over.
CHECK_IN_BEFORE_KINDS = ("follow_up_visit", "imaging")


class ProtocolError(ValueError):
    """A protocol file that cannot be used, with where and why."""


@dataclass(frozen=True)
class Conditions:
    """When an item applies; every condition given must hold."""

    radiation: bool | None = None
    brace: bool | None = None
    # Malignant, metastatic or of unknown malignancy (the cautious reading).
    malignant: bool | None = None
    tumor_location: tuple[str, ...] = ()
    origin: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """When the occurrences of an item fall, in days from surgery (day 0)."""

    type: str
    start_day: int = 0
    # None: a span with no end date (it lasts until the visit that lifts it).
    end_day: int | None = 0
    days: tuple[int, ...] = ()
    count: int = 0
    window_before: int = 0
    window_after: int = 0


@dataclass(frozen=True)
class ItemText:
    """What a patient reads of an item, in one language (placeholders unfilled)."""

    title: str
    instructions: str
    allowed: tuple[str, ...] = ()
    not_allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One line of a protocol: a kind of event and its schedule."""

    id: str
    kind: str
    title: str
    instructions: str
    schedule: Schedule
    when: Conditions = Conditions()
    pre_op: bool = False
    allowed: tuple[str, ...] = ()
    not_allowed: tuple[str, ...] = ()
    reminders: tuple[str, ...] = ()
    # Activity limits: the visit item whose completion lifts them, or why they
    # end on their own; the limits of the phase before that this phase drops.
    lifted_by: str = ""
    ends_reason: str = ""
    lifts: tuple[str, ...] = ()
    # The texts in the other languages loaded: ((language, ItemText), ...).
    translations: tuple[tuple[str, ItemText], ...] = ()

    def text(self, language: str = SOURCE_LANGUAGE) -> ItemText:
        """The item's texts in `language`; English when it has none in it."""
        english = ItemText(
            self.title, self.instructions, self.allowed, self.not_allowed
        )
        return pick(self.translations, language, english)


@dataclass(frozen=True)
class CheckInCadence:
    """When the symptom check-in is asked, in days from surgery."""

    # No defaults here: the numbers live in the protocol files.
    daily_until: int
    weekly_until: int
    # After the weekly check-ins: the days before each visit and imaging.
    days_before: int
    before_kinds: tuple[str, ...] = CHECK_IN_BEFORE_KINDS


@dataclass(frozen=True)
class RadiationSettings:
    """Minutes per radiation session: the default and the accepted range."""

    default_minutes: int
    min_minutes: int
    max_minutes: int


@dataclass(frozen=True)
class Education:
    """A patient education text, shown on some pages while it applies."""

    id: str
    title: str
    text: str
    pages: tuple[str, ...] = EDUCATION_PAGES
    from_day: int | None = None
    to_day: int | None = None
    when: Conditions = Conditions()
    # ((language, (title, text)), ...) for the other languages loaded.
    translations: tuple[tuple[str, tuple[str, str]], ...] = ()

    def in_language(self, language: str) -> Education:
        """This entry with its title and text in `language` (English if none)."""
        title, text = pick(self.translations, language, (self.title, self.text))
        return replace(self, title=title, text=text)


@dataclass(frozen=True)
class Protocol:
    """A versioned care protocol for one or more procedures."""

    id: str
    version: str
    title: str
    procedures: tuple[str, ...]
    check_in: CheckInCadence
    radiation: RadiationSettings
    items: tuple[Item, ...] = field(default_factory=tuple)
    education: tuple[Education, ...] = ()
    # The protocol's title in every language loaded, English first.
    titles: Texts = ()

    def title_in(self, language: str) -> str:
        """The protocol's title in `language` (English if it has none in it)."""
        return pick(self.titles, language, self.title)

    def item(self, item_id: str) -> Item | None:
        """The item of this id, or None."""
        for item in self.items:
            if item.id == item_id:
                return item
        return None

    def pain_rise_review(self) -> Item | None:
        """The review opened whenever a pain warning fires, if the protocol has one."""
        for item in self.items:
            if item.schedule.type == "on_pain_rise":
                return item
        return None


def _fail(where: str, reason: str) -> ProtocolError:
    return ProtocolError(f"{where}: {reason}")


def _get(
    data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str
) -> Any:
    if key not in data:
        raise _fail(where, f"missing '{key}'")
    value = data[key]
    if isinstance(value, bool) and kind is int:
        raise _fail(where, f"'{key}' must be a whole number")
    if not isinstance(value, kind):
        raise _fail(where, f"'{key}' has the wrong type ({type(value).__name__})")
    return value


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(where, f"'{key}' must be a list of strings")
    return tuple(value)


def _int(data: Mapping[str, Any], key: str, where: str, default: int = 0) -> int:
    if key not in data:
        return default
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"'{key}' must be a whole number")
    return value


def _check_known(
    key: str, values: Iterable[str], known: tuple[str, ...], where: str
) -> None:
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise _fail(where, f"unknown {key} {', '.join(unknown)}")


def _schedule(data: Any, where: str) -> Schedule:
    if not isinstance(data, dict):
        raise _fail(where, "'schedule' must be a table")
    kind = _get(data, "type", str, where)
    if kind not in SCHEDULE_TYPES:
        raise _fail(where, f"unknown schedule type '{kind}'")
    window = data.get("window", [0, 0])
    if (
        not isinstance(window, list)
        or len(window) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) for w in window)
        or min(window) < 0
    ):
        raise _fail(where, "'window' must be [days before, days after], both >= 0")
    open_ended = kind == "span" and "end_day" not in data
    schedule = Schedule(
        type=kind,
        start_day=_int(data, "start_day", where),
        end_day=None if open_ended else _int(data, "end_day", where),
        days=tuple(data.get("days", ())),
        count=_int(data, "count", where),
        window_before=window[0],
        window_after=window[1],
    )
    if (
        kind == "span"
        and schedule.end_day is not None
        and schedule.end_day < schedule.start_day
    ):
        raise _fail(where, "'end_day' is before 'start_day'")
    if kind == "days":
        if not schedule.days or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in schedule.days
        ):
            raise _fail(where, "'days' must be a non-empty list of whole numbers")
        if list(schedule.days) != sorted(set(schedule.days)):
            raise _fail(where, "'days' must be in increasing order, without repeats")
    if kind == "weekly" and schedule.count < 1:
        raise _fail(where, "'count' must be at least 1")
    return schedule


def _conditions(data: Any, where: str) -> Conditions:
    if not isinstance(data, dict):
        raise _fail(where, "'when' must be a table")
    _check_known("condition", data, CONDITION_KEYS, where)
    for key in ("radiation", "brace", "malignant"):
        if key in data and not isinstance(data[key], bool):
            raise _fail(where, f"'when.{key}' must be true or false")
    locations = _strings(data.get("tumor_location", []), "when.tumor_location", where)
    origins = _strings(data.get("origin", []), "when.origin", where)
    _check_known("tumor location", locations, TUMOR_LOCATIONS, where)
    _check_known("origin", origins, ORIGINS, where)
    return Conditions(
        radiation=data.get("radiation"),
        brace=data.get("brace"),
        malignant=data.get("malignant"),
        tumor_location=locations,
        origin=origins,
    )


def _first_day(schedule: Schedule) -> int:
    if schedule.type == "days":
        return schedule.days[0] - schedule.window_before
    return schedule.start_day - schedule.window_before


def _item_translations(
    data: Mapping[str, Any],
    english: ItemText,
    languages: Iterable[str],
    where: str,
) -> tuple[tuple[str, ItemText], ...]:
    """The item's texts in each enabled language but English, checked."""
    others = [lang for lang in languages if lang != SOURCE_LANGUAGE]
    if not others:
        return ()
    titles = translated(data, "title", english.title, others, where, ProtocolError)
    instructions = translated(
        data, "instructions", english.instructions, others, where, ProtocolError
    )
    allowed: ListTexts = translated_list(
        data, "allowed", english.allowed, others, where, ProtocolError
    )
    not_allowed = translated_list(
        data, "not_allowed", english.not_allowed, others, where, ProtocolError
    )
    return tuple(
        (
            language,
            ItemText(
                pick(titles, language, ""),
                pick(instructions, language, ""),
                pick(allowed, language, ()),
                pick(not_allowed, language, ()),
            ),
        )
        for language in others
    )


def _item(data: Any, where: str, languages: Iterable[str] = ()) -> Item:
    if not isinstance(data, dict):
        raise _fail(where, "each item must be a table")
    item_id = _get(data, "id", str, where)
    where = f"{where} '{item_id}'"
    kind = _get(data, "kind", str, where)
    if kind not in EVENT_KINDS:
        raise _fail(where, f"unknown kind '{kind}'")
    schedule = _schedule(data.get("schedule"), where)
    if schedule.type == "radiation" and kind != "radiation_session":
        raise _fail(where, "a 'radiation' schedule needs kind 'radiation_session'")
    if schedule.type == "brace" and kind != "brace":
        raise _fail(where, "a 'brace' schedule needs kind 'brace'")
    if schedule.type == "on_pain_rise" and kind != "pain_review":
        raise _fail(where, "an 'on_pain_rise' schedule needs kind 'pain_review'")
    if schedule.end_day is None and kind != "activity_restriction":
        raise _fail(where, "only activity limits may have no 'end_day'")
    pre_op = data.get("pre_op", False)
    if not isinstance(pre_op, bool):
        raise _fail(where, "'pre_op' must be true or false")
    if _first_day(schedule) < 0 and not pre_op:
        raise _fail(where, "starts before surgery but is not marked pre_op = true")
    reminders = _strings(data.get("reminders", []), "reminders", where)
    _check_known("reminder rule", reminders, REMINDER_RULES, where)
    english = ItemText(
        title=_get(data, "title", str, where),
        instructions=_get(data, "instructions", str, where).strip(),
        allowed=_strings(data.get("allowed", []), "allowed", where),
        not_allowed=_strings(data.get("not_allowed", []), "not_allowed", where),
    )
    return Item(
        id=item_id,
        kind=kind,
        title=english.title,
        instructions=english.instructions,
        schedule=schedule,
        when=_conditions(data.get("when", {}), where),
        pre_op=pre_op,
        allowed=english.allowed,
        not_allowed=english.not_allowed,
        translations=_item_translations(data, english, languages, where),
        reminders=reminders,
        lifted_by=_text(data, "lifted_by", where),
        ends_reason=_text(data, "ends_reason", where),
        lifts=_strings(data.get("lifts", []), "lifts", where),
    )


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _fail(where, f"'{key}' must be text")
    return value.strip()


def _last_day(schedule: Schedule) -> int:
    """The last day an item's occurrences reach (days schedules only)."""
    return schedule.days[-1] + schedule.window_after


def _check_activity_phases(items: tuple[Item, ...], source: str) -> None:
    """Activity limits that say what they say: no gap, nothing dropped by accident,
    and the last phase runs to the visit that lifts it (or says why it ends alone).
    """
    phases = sorted(
        (
            i
            for i in items
            if i.kind == "activity_restriction" and i.when == Conditions()
        ),
        key=lambda i: i.schedule.start_day,
    )
    if not phases:
        return
    if phases[0].schedule.start_day != 0:
        raise _fail(
            f"{source}: item '{phases[0].id}'", "activity limits start on day 0"
        )
    for before, after in pairwise(phases):
        where = f"{source}: item '{after.id}'"
        if before.schedule.end_day is None:
            raise _fail(
                f"{source}: item '{before.id}'",
                f"has no end date but '{after.id}' follows it",
            )
        if after.schedule.start_day != before.schedule.end_day + 1:
            raise _fail(
                where,
                f"starts on day {after.schedule.start_day}; the phase before "
                f"('{before.id}') ends on day {before.schedule.end_day}",
            )
        dropped = [
            n
            for n in before.not_allowed
            if n not in after.not_allowed and n not in after.lifts
        ]
        if dropped:
            raise _fail(
                where,
                f"drops the limit {', '.join(repr(d) for d in dropped)} of "
                f"'{before.id}': keep it, or list it in 'lifts'",
            )
    for item in phases:
        where = f"{source}: item '{item.id}'"
        if not item.not_allowed:
            # A phase without limits would read "no limits" before any visit.
            raise _fail(where, "activity limits need 'not_allowed'")
        if not item.lifted_by:
            continue
        visit = next((i for i in items if i.id == item.lifted_by), None)
        if visit is None or visit.schedule.type != "days":
            raise _fail(
                where, f"'lifted_by' names '{item.lifted_by}', not a dated visit"
            )
        end = item.schedule.end_day
        if end is not None and end < _last_day(visit.schedule):
            raise _fail(
                where,
                f"ends on day {end}, before the visit '{visit.id}' that lifts it "
                f"(up to day {_last_day(visit.schedule)})",
            )
    last = phases[-1]
    if not last.lifted_by and not last.ends_reason:
        raise _fail(
            f"{source}: item '{last.id}'",
            "the last activity limits need 'lifted_by' (the visit that lifts "
            "them) or 'ends_reason' (why they end without one)",
        )
    if last.schedule.end_day is None and not last.lifted_by:
        raise _fail(f"{source}: item '{last.id}'", "has no end date and no 'lifted_by'")


def _range_pair(data: Mapping[str, Any], key: str, where: str) -> tuple[int, int]:
    value = data.get(key)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        or not 0 < value[0] <= value[1]
    ):
        raise _fail(where, f"'{key}' must be [lowest, highest], whole numbers > 0")
    return value[0], value[1]


def _check_in(data: Any, source: str) -> CheckInCadence:
    where = f"{source}: [check_in]"
    if data is None:
        raise _fail(where, "missing: the symptom check-in cadence")
    if not isinstance(data, dict):
        raise _fail(where, "must be a table")
    _check_known(
        "key", data, ("daily_until", "weekly_until", "days_before", "before"), where
    )
    for key in ("daily_until", "weekly_until", "days_before"):
        _get(data, key, int, where)
    cadence = CheckInCadence(
        daily_until=data["daily_until"],
        weekly_until=data["weekly_until"],
        days_before=data["days_before"],
        before_kinds=_strings(
            data.get("before", list(CHECK_IN_BEFORE_KINDS)), "before", where
        ),
    )
    _check_known("kind", cadence.before_kinds, EVENT_KINDS, where)
    if not 0 <= cadence.daily_until <= cadence.weekly_until:
        raise _fail(where, "'daily_until' must be from 0 to 'weekly_until'")
    # Reminders look a week ahead of the events they plan for.
    if not 0 <= cadence.days_before <= 7:
        raise _fail(where, "'days_before' must be from 0 to 7")
    return cadence


def _radiation(data: Any, source: str) -> RadiationSettings:
    where = f"{source}: [radiation]"
    if data is None:
        raise _fail(where, "missing: the minutes per session")
    if not isinstance(data, dict):
        raise _fail(where, "must be a table")
    _check_known("key", data, ("minutes_per_session", "default_minutes"), where)
    low, high = _range_pair(data, "minutes_per_session", where)
    default = _get(data, "default_minutes", int, where)
    if not low <= default <= high:
        raise _fail(where, f"'default_minutes' must be from {low} to {high}")
    return RadiationSettings(default, low, high)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _education(data: Any, where: str, languages: Iterable[str] = ()) -> Education:
    if not isinstance(data, dict):
        raise _fail(where, "each education entry must be a table")
    entry_id = _get(data, "id", str, where)
    where = f"{where} '{entry_id}'"
    _check_known(
        "key",
        (k for k in data if not is_translation_key(k, ("title", "text"))),
        ("id", "title", "text", "pages", "from_day", "to_day", "when"),
        where,
    )
    pages = _strings(data.get("pages", list(EDUCATION_PAGES)), "pages", where)
    _check_known("page", pages, EDUCATION_PAGES, where)
    from_day = data.get("from_day")
    to_day = data.get("to_day")
    for key, value in (("from_day", from_day), ("to_day", to_day)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int)
        ):
            raise _fail(where, f"'{key}' must be a whole number")
    if from_day is not None and to_day is not None and to_day < from_day:
        raise _fail(where, "'to_day' is before 'from_day'")
    title = _get(data, "title", str, where)
    text = _one_line(_get(data, "text", str, where))
    others = [lang for lang in languages if lang != SOURCE_LANGUAGE]
    titles = translated(data, "title", title, others, where, ProtocolError)
    texts = translated(data, "text", text, others, where, ProtocolError, _one_line)
    return Education(
        id=entry_id,
        title=title,
        text=text,
        pages=pages,
        from_day=from_day,
        to_day=to_day,
        when=_conditions(data.get("when", {}), where),
        translations=tuple(
            (lang, (pick(titles, lang, title), pick(texts, lang, text)))
            for lang in others
        ),
    )


def _list(data: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise _fail(where, f"'{key}' must be a list of tables")
    return value


def parse_protocol(
    data: Mapping[str, Any], source: str, languages: Iterable[str] = (SOURCE_LANGUAGE,)
) -> Protocol:
    """Validate a parsed TOML document into a Protocol.

    `languages`: the enabled languages (config LANGUAGES); every patient text needs
    one in each, or the file is refused naming the item and the language.
    """
    languages = tuple(languages)
    procedures = _strings(_get(data, "procedures", list, source), "procedures", source)
    _check_known("procedure", procedures, PROCEDURES, source)
    raw_items = _get(data, "items", list, source)
    items = tuple(
        _item(raw, f"{source}: item {n + 1}", languages)
        for n, raw in enumerate(raw_items)
    )
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise _fail(f"{source}: item '{item.id}'", "the id is used twice")
        if ":" in item.id:
            raise _fail(f"{source}: item '{item.id}'", "ids may not contain ':'")
        seen.add(item.id)
    _check_activity_phases(items, source)
    if sum(1 for i in items if i.schedule.type == "on_pain_rise") > 1:
        raise _fail(source, "at most one item may have an 'on_pain_rise' schedule")
    education = tuple(
        _education(raw, f"{source}: education {n + 1}", languages)
        for n, raw in enumerate(_list(data, "education", source))
    )
    title = _get(data, "title", str, source)
    return Protocol(
        id=_get(data, "id", str, source),
        version=_get(data, "version", str, source),
        title=title,
        titles=translated(data, "title", title, languages, source, ProtocolError),
        procedures=procedures,
        items=items,
        check_in=_check_in(data.get("check_in"), source),
        radiation=_radiation(data.get("radiation"), source),
        education=education,
    )


def load_protocol(
    path: Path, languages: Iterable[str] = (SOURCE_LANGUAGE,)
) -> Protocol:
    """Read and validate one protocol file, with its texts in `languages`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProtocolError(f"{path}: cannot be read: {error}") from error
    return parse_protocol(data, str(path), languages)


def load_protocols(
    directory: Path = PROTOCOL_DIR, languages: Iterable[str] = (SOURCE_LANGUAGE,)
) -> dict[str, Protocol]:
    """Every protocol of a folder by procedure; each procedure needs exactly one."""
    languages = tuple(languages)
    by_procedure: dict[str, Protocol] = {}
    for path in sorted(directory.glob("*.toml")):
        protocol = load_protocol(path, languages)
        for procedure in protocol.procedures:
            if procedure in by_procedure:
                raise ProtocolError(
                    f"{path}: procedure '{procedure}' is already covered by "
                    f"protocol '{by_procedure[procedure].id}'"
                )
            by_procedure[procedure] = protocol
    missing = sorted(set(PROCEDURES) - set(by_procedure))
    if missing:
        raise ProtocolError(f"{directory}: no protocol for {', '.join(missing)}")
    return by_procedure
