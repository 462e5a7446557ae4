"""Page arithmetic shared by every paged list (cohort, schedule, API links)."""

from __future__ import annotations


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill (at least one, so page 1 always exists)."""
    return max(1, -(-total // per_page))


class Paged:
    """What a page knows of its neighbours; mixed into page dataclasses."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        """Whether a page comes before."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether a page comes after."""
        return self.page < self.pages
