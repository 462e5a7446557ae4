"""Pagination links for list endpoints: in the body and as an RFC 8288 Link header."""

from __future__ import annotations

from typing import Any

from flask import url_for

from recovery.paging import page_count


def page_links(
    endpoint: str, page: int, per_page: int, total: int, params: dict[str, str]
) -> dict[str, str]:
    """self, first, last, and prev/next where they exist, as absolute paths."""
    last = page_count(total, per_page)

    def link(number: int) -> str:
        return url_for(endpoint, **params, page=number, per_page=per_page)

    links = {"self": link(page), "first": link(1), "last": link(last)}
    if page > 1:
        links["prev"] = link(min(page - 1, last))
    if page < last:
        links["next"] = link(page + 1)
    return links


def link_header(links: dict[str, str]) -> dict[str, Any]:
    """The same links as a Link header."""
    return {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items())}
