"""Care protocols: TOML files of timeline items, loaded into frozen dataclasses.

A protocol is data a clinic can change; every number of ../shared/clinical.md lives in
a protocol file, not in code. A bad file fails loudly with the file, the item and why.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
SCHEDULE_TYPES = ("span", "days", "weekly", "radiation", "brace")
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
    end_day: int = 0
    days: tuple[int, ...] = ()
    count: int = 0
    window_before: int = 0
    window_after: int = 0


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


@dataclass(frozen=True)
class Protocol:
    """A versioned care protocol for one or more procedures."""

    id: str
    version: str
    title: str
    procedures: tuple[str, ...]
    items: tuple[Item, ...] = field(default_factory=tuple)


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
    schedule = Schedule(
        type=kind,
        start_day=_int(data, "start_day", where),
        end_day=_int(data, "end_day", where),
        days=tuple(data.get("days", ())),
        count=_int(data, "count", where),
        window_before=window[0],
        window_after=window[1],
    )
    if kind == "span" and schedule.end_day < schedule.start_day:
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


def _item(data: Any, where: str) -> Item:
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
    pre_op = data.get("pre_op", False)
    if not isinstance(pre_op, bool):
        raise _fail(where, "'pre_op' must be true or false")
    if _first_day(schedule) < 0 and not pre_op:
        raise _fail(where, "starts before surgery but is not marked pre_op = true")
    reminders = _strings(data.get("reminders", []), "reminders", where)
    _check_known("reminder rule", reminders, REMINDER_RULES, where)
    return Item(
        id=item_id,
        kind=kind,
        title=_get(data, "title", str, where),
        instructions=_get(data, "instructions", str, where).strip(),
        schedule=schedule,
        when=_conditions(data.get("when", {}), where),
        pre_op=pre_op,
        allowed=_strings(data.get("allowed", []), "allowed", where),
        not_allowed=_strings(data.get("not_allowed", []), "not_allowed", where),
        reminders=reminders,
    )


def parse_protocol(data: Mapping[str, Any], source: str) -> Protocol:
    """Validate a parsed TOML document into a Protocol."""
    procedures = _strings(_get(data, "procedures", list, source), "procedures", source)
    _check_known("procedure", procedures, PROCEDURES, source)
    raw_items = _get(data, "items", list, source)
    items = tuple(
        _item(raw, f"{source}: item {n + 1}") for n, raw in enumerate(raw_items)
    )
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise _fail(f"{source}: item '{item.id}'", "the id is used twice")
        if ":" in item.id:
            raise _fail(f"{source}: item '{item.id}'", "ids may not contain ':'")
        seen.add(item.id)
    return Protocol(
        id=_get(data, "id", str, source),
        version=_get(data, "version", str, source),
        title=_get(data, "title", str, source),
        procedures=procedures,
        items=items,
    )


def load_protocol(path: Path) -> Protocol:
    """Read and validate one protocol file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProtocolError(f"{path}: cannot be read: {error}") from error
    return parse_protocol(data, str(path))


def load_protocols(directory: Path = PROTOCOL_DIR) -> dict[str, Protocol]:
    """Every protocol of a folder by procedure; each procedure needs exactly one."""
    by_procedure: dict[str, Protocol] = {}
    for path in sorted(directory.glob("*.toml")):
        protocol = load_protocol(path)
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
