"""The pipeline flow report: how the open pipeline of a period moved between two snapshots.

Money stays exact (the canonical 4 places, written without trailing zeros) and is not
rounded to cents, so that ``start_open_pipeline`` plus every category's change equals
``end_open_pipeline`` to the last digit (decisions D20).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import Field

from pipereview.engines import Engine
from pipereview.errors import InputError
from pipereview.fiscal import period_range
from pipereview.metrics.flow import CATEGORIES, flow_deals, flow_totals, identity_counts
from pipereview.report.model import FlowStep, Money, PeriodFlow, _Model, dumps

FLOW_SCHEMA_VERSION = "1.0"


class FlowDeal(_Model):
    """Grain: one deal open in the period at either date."""

    deal_id: str
    category: str
    value_from: Money
    value_to: Money
    change: Money


# One category: the signed change it contributes and how many deals it holds.
FlowCategory = FlowStep


class Flow(_Model):
    """The pipeline waterfall. ``start_open_pipeline`` + the sum of ``categories[].change``
    = ``end_open_pipeline``, exactly."""

    schema_version: str = FLOW_SCHEMA_VERSION
    from_date: dt.date = Field(serialization_alias="from")
    to_date: dt.date = Field(serialization_alias="to")
    period: str  # as given: this-quarter, FY2027, 2026-11, a range, all (periods.py)
    period_start: dt.date | None
    period_end: dt.date | None
    start_open_pipeline: Money
    categories: list[FlowCategory]
    end_open_pipeline: Money
    deals: list[FlowDeal]

    def to_json(self) -> str:
        """Indented JSON with exact money: ``from``, ``to``, the period, the start, one total
        per category (and its deal count), the end, then every deal."""
        data: dict[str, Any] = self.model_dump(mode="python", by_alias=True)
        categories = data.pop("categories")
        deals, end = data.pop("deals"), data.pop("end_open_pipeline")
        data.update({c["category"]: c["change"] for c in categories})
        data["end_open_pipeline"] = end
        data["deal_counts"] = {c["category"]: c["deals"] for c in categories}
        data["deals"] = deals
        return dumps(data)


def _exact(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def steps_of(totals: dict[str, Any]) -> list[FlowStep]:
    """Each category's signed change and deal count, in CATEGORIES order."""
    return [
        FlowStep(category=name, change=_exact(totals[name]), deals=totals[f"n_{name}"])
        for name in CATEGORIES
    ]


def check_identity(engine: Engine, deals: Any, label: str) -> None:
    """The flow matches deals by deal_id: refuse a snapshot with missing or repeated ids."""
    counts = engine.one(identity_counts(deals))
    rows, with_id, ids = int(counts["rows"]), int(counts["with_id"]), int(counts["ids"])
    if with_id < rows:
        raise InputError(
            f"{rows - with_id} deal(s) have no deal_id; the flow matches deals by deal_id",
            source=label,
            column="deal_id",
            hint="give every deal an id in the export, then take the snapshot again",
        )
    if ids < with_id:
        t = deals.group_by("deal_id").aggregate(n=deals.count())
        first = engine.rows(t.filter(t.n > 1).order_by("deal_id").limit(1))[0]
        raise InputError(
            f"deal_id {first['deal_id']!r} is on {first['n']} rows; the flow matches deals "
            "by deal_id",
            source=label,
            column="deal_id",
            hint="remove the duplicate rows from the export, then take the snapshot again",
        )


def build_flow(
    engine: Engine,
    before: Any,
    after: Any,
    *,
    from_date: dt.date,
    to_date: dt.date,
    period: str,
    period_range: tuple[dt.date | None, dt.date | None],
) -> Flow:
    """The Flow between two canonical deals tables (already checked for unique ids)."""
    first, last = period_range
    rows = flow_deals(before, after, first, last)
    totals = engine.one(flow_totals(rows))
    listed = engine.rows(rows.order_by(["_rank", "deal_id"]).drop("_rank"))
    return Flow(
        from_date=from_date,
        to_date=to_date,
        period=period,
        period_start=first,
        period_end=last,
        start_open_pipeline=_exact(totals["start_open_pipeline"]),
        categories=steps_of(totals),
        end_open_pipeline=_exact(totals["end_open_pipeline"]),
        deals=[
            FlowDeal(
                deal_id=row["deal_id"],
                category=row["category"],
                value_from=_exact(row["value_from"]),
                value_to=_exact(row["value_to"]),
                change=_exact(row["change"]),
            )
            for row in listed
        ],
    )


# The data-quality checks that say deals cannot be matched by id.
ID_CHECKS = ("missing_deal_id", "duplicate_deal_id")


def matchable(quality: Iterable[tuple[str, int]]) -> bool:
    """True when a report's data-quality (check, count) pairs show every deal row with its
    own id: no missing_deal_id and no duplicate_deal_id finding."""
    return not any(check in ID_CHECKS and count for check, count in quality)


def quarter_flow(
    engine: Engine,
    before: Any,
    after: Any,
    *,
    compared_to: dt.date,
    as_of: dt.date,
    start_month: int,
) -> PeriodFlow:
    """The report's flow section: this fiscal quarter's open pipeline from the compared
    snapshot to today. Both sides must be ``matchable`` (the flow matches deals by id;
    ``changes`` still covers data that is not)."""
    first, last = period_range("this-quarter", as_of, start_month)
    totals = engine.one(flow_totals(flow_deals(before, after, first, last)))
    return PeriodFlow(
        compared_to=compared_to,
        period_start=first,
        period_end=last,
        start_open_pipeline=_exact(totals["start_open_pipeline"]),
        steps=steps_of(totals),
        end_open_pipeline=_exact(totals["end_open_pipeline"]),
    )
