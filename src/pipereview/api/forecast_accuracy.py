"""Forecast accuracy from a snapshot store: each snapshot's call for a period against what
closed (``report.accuracy``)."""

from __future__ import annotations

import datetime as dt

from pipereview.api.common import PolicyLike, StoreLike, resolve_policy
from pipereview.engines import choose_engine
from pipereview.errors import InputError
from pipereview.report.accuracy import build_accuracy, last_period
from pipereview.report.accuracy_model import Accuracy
from pipereview.report.forecast_model import LEVELS, Level
from pipereview.store import DEFAULT_STORE
from pipereview.store.snapshots import Store


def accuracy(
    period: str,
    *,
    store: StoreLike = DEFAULT_STORE,
    as_of: dt.date | None = None,
    by: Level | str = "rep",
    weeks_before: int = 0,
    policy: PolicyLike = None,
) -> Accuracy:
    """Forecast accuracy for ``period`` (``periods.parse_period`` around ``as_of``;
    default: the store's latest snapshot date): for every snapshot in the period (and the
    ``weeks_before`` weeks before it), each ``by`` subject's and the company's commit and
    best-case call, as ``forecast`` computed them on that date's stored data, against the
    period's actual closed won, with the bias and the error of each call."""
    if by not in LEVELS:
        raise InputError(f"unknown level {by!r} for --by", hint=f"use one of: {', '.join(LEVELS)}")
    resolved = resolve_policy(policy)
    runner = choose_engine(store=store)
    with Store(runner, store, read_only=True) as opened:
        if as_of is None:
            dates = opened.dates()
            if not dates:
                raise InputError(
                    f"{opened.path}: holds no snapshot",
                    hint="take snapshots first (pipereview snapshot)",
                )
            as_of = dates[-1]
        return build_accuracy(
            opened,
            runner,
            resolved,
            period,
            as_of,
            by=by,
            weeks_before=weeks_before,
            currency=resolved.currency.base.strip().upper(),
        )


def last_period_accuracy(
    as_of: dt.date, *, store: StoreLike = DEFAULT_STORE, policy: PolicyLike = None
) -> Accuracy | None:
    """The report's small accuracy section for ``as_of``: the company's call for the
    fiscal quarter before at its first and last snapshot, against the actual (None when
    the store has no snapshot in that quarter)."""
    resolved = resolve_policy(policy)
    runner = choose_engine(store=store)
    with Store(runner, store, read_only=True) as opened:
        currency = resolved.currency.base.strip().upper()
        return last_period(opened, runner, resolved, as_of, currency)
