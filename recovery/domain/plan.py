"""A patient's surgery plan: the choices a timeline is built from, and their bounds."""

from dataclasses import dataclass
from datetime import date

PROCEDURES = (
    "biopsy",
    "minimally_invasive_removal",
    "partial_laminectomy",
    "full_laminectomy",
    "open_resection",
)
TUMOR_LOCATIONS = ("intramedullary", "intradural_extramedullary", "epidural")
MALIGNANCIES = ("benign", "malignant", "unknown")
ORIGINS = ("primary", "metastatic", "unknown")

# Bounds from the API contract: radiation starts 1-2 weeks after surgery (wound healing)
# and lasts 2-6 weeks. Minutes per session are a protocol setting ([radiation] of
# the protocol file): plan_problems() checks them against it.
RADIATION_START_DAYS = (7, 14)
RADIATION_WEEKS = (2, 6)
BRACE_WEEKS = (1, 26)


@dataclass(frozen=True)
class RadiationPlan:
    """Whether radiation is planned, when it starts and how long it lasts."""

    planned: bool = False
    start_day: int = 14
    weeks: int = 2
    minutes_per_session: int = 15


@dataclass(frozen=True)
class BracePlan:
    """Whether a brace or corset is required and for how long."""

    required: bool = False
    weeks: int = 6


@dataclass(frozen=True)
class Plan:
    """Everything about a patient that decides their recovery timeline."""

    surgery_date: date
    procedure: str
    tumor_location: str
    malignancy: str
    origin: str = "unknown"
    tumor_type: str = ""
    radiation: RadiationPlan = RadiationPlan()
    brace: BracePlan = BracePlan()
    timezone: str = "UTC"
    # Clinic closures: no radiation session is given on these days.
    holidays: frozenset[date] = frozenset()

    @property
    def is_malignant(self) -> bool:
        """Malignant, metastatic, or not yet known: the cautious reading for imaging."""
        return self.malignancy != "benign" or self.origin == "metastatic"


def plan_problems(plan: Plan, minutes: tuple[int, int]) -> dict[str, str]:
    """Why a plan cannot be, by field ("radiation.minutes_per_session"); {} if fine.

    `minutes`: the accepted range of minutes per session, from the protocol.
    """
    problems: dict[str, str] = {}
    if plan.origin == "metastatic" and plan.malignancy == "benign":
        message = (
            "A metastatic tumour cannot be benign: record it as malignant, "
            "or the origin as primary or unknown."
        )
        problems["malignancy"] = problems["origin"] = message
    low, high = minutes
    if plan.radiation.planned and not low <= plan.radiation.minutes_per_session <= high:
        problems["radiation.minutes_per_session"] = (
            f"Minutes per session must be from {low} to {high} (the protocol's range)."
        )
    return problems


# Enrolment happens up to a year before surgery; follow-up lasts five years.
MAX_DAYS_AHEAD = 365
MAX_DAYS_BACK = 5 * 365 + 2


def surgery_date_problem(surgery_date: date, today: date) -> str | None:
    """Why a surgery date cannot be right, or None."""
    if (surgery_date - today).days > MAX_DAYS_AHEAD:
        return "The surgery date is more than a year from today."
    if (today - surgery_date).days > MAX_DAYS_BACK:
        return "The surgery date is more than 5 years ago, past the follow-up period."
    return None


def post_op_day(surgery_date: date, today: date) -> int:
    """Days since surgery: 0 on the day of surgery, negative before it."""
    return (today - surgery_date).days
