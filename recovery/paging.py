"""Paging shared by every paged list (cohort, schedule, API links)."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Integer
from apiflask.validators import Range
from sqlalchemy import Row, Select, func, select

from recovery.extensions import db
from recovery.validation import MAX_ID


def fetch_page(
    query: Select[Any], page: int, per_page: int
) -> tuple[int, list[Row[Any]]]:
    """One page of a sorted query's rows, and how many rows the whole query has.

    The total rides on the page's rows (a window count, their last column): the
    database sorts every matching row for the page anyway, so counting apart would
    run the query twice. Past the last page no row carries it: counted apart then.
    """
    rows = list(
        db.session.execute(
            query.add_columns(func.count().over())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    if rows:
        return rows[0][-1], rows
    count = select(func.count()).select_from(query.order_by(None).subquery())
    return db.session.scalar(count) or 0, []


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


class PageQuery(Schema):
    """Pagination of list endpoints."""

    page = Integer(
        load_default=1, validate=Range(1, MAX_ID, error="Not a page number.")
    )
    per_page = Integer(load_default=25, validate=Range(min=1, max=100))
