"""Temperature and weight as patients measure them, stored in one unit.

Check-ins store °C and kg; a patient whose thermometer or scale shows °F or lb
types what it shows and reads it back the same way.
"""

from __future__ import annotations

from typing import Literal

from recovery.domain.symptoms import TEMPERATURE_C, WEIGHT_KG

TemperatureUnit = Literal["C", "F"]
WeightUnit = Literal["kg", "lb"]
TEMPERATURE_UNITS: tuple[TemperatureUnit, ...] = ("C", "F")
WEIGHT_UNITS: tuple[WeightUnit, ...] = ("kg", "lb")


# The international avoirdupois pound (exact).
KG_PER_LB = 0.45359237


def to_celsius(value: float, unit: str) -> float:
    """A temperature read in `unit` as °C."""
    return (value - 32) * 5 / 9 if unit == "F" else value


def from_celsius(value: float, unit: str) -> float:
    """A stored °C temperature in `unit`."""
    return value * 9 / 5 + 32 if unit == "F" else value


def to_kg(value: float, unit: str) -> float:
    """A weight read in `unit` as kg."""
    return value * KG_PER_LB if unit == "lb" else value


def from_kg(value: float, unit: str) -> float:
    """A stored kg weight in `unit`."""
    return value / KG_PER_LB if unit == "lb" else value


def temperature_range(unit: str) -> tuple[float, float]:
    """The check-in's TEMPERATURE_C limits in `unit`, one decimal."""
    low, high = TEMPERATURE_C
    return round(from_celsius(low, unit), 1), round(from_celsius(high, unit), 1)


def weight_range(unit: str) -> tuple[float, float]:
    """The check-in's WEIGHT_KG limits in `unit`, one decimal."""
    low, high = WEIGHT_KG
    return round(from_kg(low, unit), 1), round(from_kg(high, unit), 1)
