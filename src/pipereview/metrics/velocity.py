"""Stage velocity, as Ibis expressions: how long deals sit in each stage, how many move on,
how often a deal that got so far is won, and how long a won deal took.

The input is a table of stage *intervals* (deal_id, stage, entered_at, exited_at), built from
a stage history or from the stage changes of a field history. An interval ends when the deal
leaves the stage (``exited_at``, else when it entered its next stage); the last interval of
an open deal ends at ``as_of``, of a won or lost deal at its close date. Stages in
``velocity.won_stages`` and ``lost_stages`` (Closed Won...) only end the stage before them.
Rows entered after ``as_of`` are not yet history and are left out.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import is_active, is_lost, is_won
from pipereview.names import fold_case, fold_text, folds_into
from pipereview.policy import Policy
from pipereview.schema import STAGE_FIELDS


def stage_names(intervals: ir.Table) -> ir.Table:
    """Each distinct stage name of the intervals and its folded form (``_stage``). The
    caller keeps it as a table: folded per row, DuckDB's translate dominates the command on
    a large history (and the optimizer inlines a fold it can see through a join)."""
    names = intervals.select(_name=intervals.stage).distinct()
    return names.mutate(_stage=fold_case(names._name))


def from_stage_history(h: ir.Table) -> ir.Table:
    """Intervals from a stage history: ``exited_at`` as given, else the next entry's
    ``entered_at`` (the deal's entries ordered by entered_at, then input row)."""
    w = ibis.window(group_by=h.deal_id, order_by=[h.entered_at, h._row])
    return h.select(
        "deal_id",
        "stage",
        "entered_at",
        exited_at=h.exited_at.coalesce(h.entered_at.lead().over(w)),
    )


def from_field_history(f: ir.Table, deals: ir.Table) -> ir.Table:
    """Intervals from a field history's stage changes (field StageName, stage or dealstage,
    any case): each change enters ``new_value`` at ``changed_at``; the stage before a deal's
    first change (its ``old_value``) was entered at the deal's created_date (unknown when the
    deals have none). A deal with no stage change has sat in its deals-table stage since its
    created_date."""
    s = f.filter(folds_into(f.field, STAGE_FIELDS) & f.deal_id.notnull())
    w = ibis.window(group_by=s.deal_id, order_by=[s.changed_at, s._row])
    s = s.mutate(_seq=ibis.row_number().over(w) + 1)
    keyed = deals.filter(deals.deal_id.notnull())
    created = keyed.group_by(_cid=keyed.deal_id).aggregate(
        _created=keyed.created_date.min(), _stage=keyed.stage.min()
    )
    first = s.filter((s._seq == 1) & s.old_value.notnull())
    first = first.left_join(created, first.deal_id == created._cid)
    unchanged = created.anti_join(s, created._cid == s.deal_id)
    unchanged = unchanged.filter(unchanged._stage.notnull())
    entries = ibis.union(
        first.select(
            deal_id=first.deal_id,
            stage=first.old_value,
            entered_at=first._created,
            _seq=ibis.literal(0, "int64"),
        ),
        s.select("deal_id", stage=s.new_value, entered_at=s.changed_at, _seq=s._seq.cast("int64")),
        unchanged.select(
            deal_id=unchanged._cid,
            stage=unchanged._stage,
            entered_at=unchanged._created,
            _seq=ibis.literal(0, "int64"),
        ),
    )
    w = ibis.window(group_by=entries.deal_id, order_by=entries._seq)
    return entries.select(
        "deal_id", "stage", "entered_at", exited_at=entries.entered_at.lead().over(w)
    )


def from_snapshots(snapshots: ir.Table) -> ir.Table:
    """Intervals from consecutive snapshots of the deals (``as_of`` + canonical columns): a
    deal's run of snapshots in the same stage (folded) is one stay, entered on the earliest
    of each snapshot's ``as_of`` less its ``days_in_stage`` (the snapshot date when the days
    are unknown), left when the next run was entered."""
    s = snapshots.filter(snapshots.deal_id.notnull() & snapshots.stage.notnull())
    w = ibis.window(group_by=s.deal_id, order_by=s.as_of)
    moved = (s.stage != s.stage.lag().over(w)).fill_null(True)  # a respelling splits a run
    s = s.mutate(_moved=moved.cast("int64"))
    s = s.mutate(_run=s._moved.cumsum().over(ibis.window(group_by=s.deal_id, order_by=s.as_of)))
    days = s.days_in_stage.cast("int64")
    since = ibis.ifelse(
        days.notnull() & (days >= 0), s.as_of.cast("date") - days.as_interval("D"), s.as_of
    )
    runs = (
        s.mutate(_since=since.cast("date"))
        .group_by(["deal_id", "_run"])
        .aggregate(stage=ibis._.stage.min(), entered_at=ibis._._since.min())
    )
    stays = runs.select(
        "deal_id", "stage", "entered_at", exited_at=ibis.null("date"), _row=runs._run
    )
    return from_stage_history(stays)


def deal_outcomes(deals: ir.Table) -> ir.Table:
    """One row per deal_id: won, lost, active (any row), created and close dates. Read by
    ``stage_days`` and ``cycle_times``; the caller keeps it."""
    keyed = deals.filter(deals.deal_id.notnull())
    return keyed.group_by(_id=keyed.deal_id).aggregate(
        _won=is_won(keyed).any(),
        _lost=is_lost(keyed).any(),
        _active=is_active(keyed).any(),
        _created=keyed.created_date.min(),
        _close=keyed.close_date.max(),
    )


def _rank(folded: ir.StringValue, order: list[str]) -> ir.IntegerValue:
    """The (folded) stage's place in ``order``; null when it is not there."""
    return ibis.cases(*((folded == fold_text(name), i) for i, name in enumerate(order)))


def stage_days(
    intervals: ir.Table, outcomes: ir.Table, as_of: dt.date, policy: Policy, names: ir.Table
) -> ir.Table:
    """One row per (deal, open stage): deal_id, stage (folded), days in it (summed over
    re-entries; null when a start is unknown), open (the deal is in it now), and the deal's
    outcome columns."""
    iv = intervals.filter(intervals.entered_at.isnull() | (intervals.entered_at <= as_of))
    iv = iv.filter(iv.deal_id.notnull() & iv.stage.notnull())
    iv = iv.join(names, iv.stage == names._name).drop("_name")
    iv = iv.filter(~iv._stage.isin(policy.velocity.closed_stages()))
    iv = iv.mutate(exited_at=ibis.ifelse(iv.exited_at > as_of, ibis.null("date"), iv.exited_at))
    j = iv.left_join(outcomes, iv.deal_id == outcomes._id)
    still_open = j.exited_at.isnull() & (j._active.fill_null(True) | ~(j._won | j._lost))
    end = ibis.ifelse(j.exited_at.isnull() & ~still_open, j._close, j.exited_at)
    end = ibis.ifelse(still_open | (end > as_of), ibis.literal(as_of), end)
    days = end.delta(j.entered_at, unit="day")
    j = j.mutate(_days=days, _open=still_open)
    return j.group_by(["deal_id", "_stage"]).aggregate(
        days=ibis.ifelse(j._days.count() == j.count(), j._days.sum(), ibis.null("int64")),
        open=j._open.any(),
        first_seen=j.entered_at.coalesce(j.exited_at).min(),
        unknown_start=j.entered_at.isnull().any(),
        name=j.stage.min(),
        won=j._won.any().fill_null(False),
        lost=j._lost.any().fill_null(False),
    )


def first_seen_order(per_deal: ir.Table) -> ir.Table:
    """The stages (folded, and a name as written) in the order the history first shows
    them: by the first day each is seen (entered, or left when its start is unknown; a stage
    left that day was entered before one entered that day), then by folded name."""
    first = per_deal.group_by("_stage").aggregate(
        at=per_deal.first_seen.min(),
        before=per_deal.unknown_start.any(),
        name=per_deal.name.min(),
    )
    return first.order_by([first.at.isnull(), first.at, ibis.desc(first.before), first._stage])


def probability_order(deals: ir.Table) -> ir.Table:
    """Stages (folded) with their active deals' probability sum and count (``s``, ``n``):
    the average, worked out exactly by the caller, orders the funnel as the pipeline by
    stage shows it, when no order is given (decisions D39). A sum, not an engine's mean: a
    server's mean of decimals has more places than the column (PostgreSQL's numeric)."""
    staged = deals.filter(is_active(deals) & deals.stage.notnull() & deals.probability.notnull())
    by = staged.group_by(_stage=fold_case(staged.stage)).aggregate(
        s=staged.probability.sum(), n=staged.count()
    )
    return by.order_by(by._stage)


def stage_stats(per_deal: ir.Table, order: list[str]) -> ir.Table:
    """One row per stage in ``order`` reached by a deal: rank, deals that entered it, mean
    and median days (over deals with known days), deals in it now, deals that reached it
    (their furthest stage is at or past it), deals that went further (or were won), and the
    won and lost deals whose furthest stage it is."""
    t = per_deal.mutate(_rank=_rank(per_deal._stage, order)).filter(ibis._._rank.notnull())
    far = t.group_by("deal_id").aggregate(
        furthest=t._rank.max(), won=t.won.any(), lost=t.lost.any()
    )
    # a conversion is counted only from an observed move: a deal reached a stage when it
    # was seen in it (not when it was seen in a later one), and advanced when it was then
    # seen in a later stage, or won from it
    seen = t.select(_id=t.deal_id, _at=t._rank).distinct()
    far = seen.join(far, seen._id == far.deal_id).select("_at", "furthest", "won", "lost")
    entered = t.group_by("_rank").aggregate(
        deals=t.count(),
        mean_days=t.days.mean(),
        median_days=t.days.median(),
        known_days=t.days.count(),
        open_deals=t.count(where=t.open),
    )
    ranks = ibis.memtable({"_rank": list(range(len(order)))}, schema={"_rank": "int64"})
    funnel = (
        ranks.left_join(far, ranks._rank == far._at)
        .group_by("_rank")
        .aggregate(
            reached=ibis._.count(where=ibis._._at.notnull()),
            advanced=ibis._.count(
                where=(ibis._.furthest > ibis._._rank)
                | ((ibis._.furthest == ibis._._rank) & ibis._.won)
            ),
            won=ibis._.count(where=(ibis._.furthest == ibis._._rank) & ibis._.won),
            lost=ibis._.count(where=(ibis._.furthest == ibis._._rank) & ibis._.lost & ~ibis._.won),
        )
    )
    return funnel.left_join(entered, funnel._rank == entered._rank).select(
        stage_rank=funnel._rank,
        deals=entered.deals.fill_null(0),
        mean_days=entered.mean_days,
        median_days=entered.median_days,
        known_days=entered.known_days.fill_null(0),
        open_deals=entered.open_deals.fill_null(0),
        reached=funnel.reached,
        advanced=funnel.advanced,
        won=funnel.won,
        lost=funnel.lost,
    )


def cycle_times(outcomes: ir.Table, intervals: ir.Table, as_of: dt.date) -> ir.Table:
    """One row per won deal closed by ``as_of`` with a known start: close month
    (YYYY-MM) and days from created_date (else its first stage entry) to close_date."""
    first = intervals.group_by(_fid=intervals.deal_id).aggregate(_first=intervals.entered_at.min())
    j = outcomes.left_join(first, outcomes._id == first._fid)
    j = j.mutate(_start=j._created.coalesce(j._first))
    won = j.filter(j._won & j._close.notnull() & (j._close <= as_of) & j._start.notnull())
    return won.select(
        month=won._close.strftime("%Y-%m"), days=won._close.delta(won._start, unit="day")
    )


def cycle_by_month(cycles: ir.Table) -> ir.Table:
    """Per close month: won deals, mean and median days from creation to close."""
    return cycles.group_by("month").aggregate(
        won_deals=cycles.count(), mean_days=cycles.days.mean(), median_days=cycles.days.median()
    )


def cycle_overall(cycles: ir.Table) -> ir.Table:
    """One row: won deals, mean and median days from creation to close."""
    return cycles.aggregate(
        won_deals=cycles.count(), mean_days=cycles.days.mean(), median_days=cycles.days.median()
    )
