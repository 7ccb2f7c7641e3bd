"""Forecast accuracy in a terminal table, Markdown and HTML (JSON is ``Accuracy.to_json``):
each subject's commit and best-case call on every snapshot date against the actual, and
the small section the report and the dashboard show (the company's call at the period's
first and last snapshot)."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from pipereview.render import terminal as term
from pipereview.render.executive import row_name
from pipereview.render.glossary import FIELDS
from pipereview.render.markup import md_table
from pipereview.render.numbers import DEFAULT_CURRENCY, cell, compact_money, rate
from pipereview.report.accuracy_model import Accuracy, AccuracyRow

# The row's figures in the order every face shows them, with how important each is in a
# narrow terminal (1: always shown); errors are the bias's size, so only JSON carries them.
FIGURES: tuple[tuple[str, int], ...] = (
    ("commit_call", 1),
    ("best_case_call", 2),
    ("actual", 1),
    ("commit_bias", 1),
    ("commit_bias_share", 1),
    ("best_case_bias", 3),
    ("best_case_bias_share", 2),
)
HEADERS = [FIELDS["rep_name"], FIELDS["snapshot"], *(FIELDS[f] for f, _ in FIGURES)]
COLUMNS = [term.name(HEADERS[0], max_width=30), term.name(HEADERS[1], min_width=10)] + [
    term.num(FIELDS[f], priority) for f, priority in FIGURES
]


def share_text(value: float | None) -> str:
    """A share of the actual, signed, to 0.1 % (an em dash without an actual)."""
    return rate(value, 1) if value is None or value <= 0 else "+" + rate(value, 1)


def row_cells(row: AccuracyRow, currency: str, money_kind: str = "usd") -> list[str]:
    out = [row_name(row), row.as_of.isoformat()]
    for name, _ in FIGURES:
        value = getattr(row, name)
        if name.endswith("_share"):
            out.append(share_text(value))
        elif name.endswith("_bias"):
            shown = cell(value, money_kind, currency)
            out.append(("+" if value > 0 else "") + shown)
        else:
            out.append(cell(value, money_kind, currency))
    return out


def accuracy_title(a: Accuracy) -> str:
    by = "" if a.by == "company" else f" by {a.by}"
    return (
        f"Forecast accuracy {a.period} ({a.period_start.isoformat()} to "
        f"{a.period_end.isoformat()}){by}"
    )


def accuracy_notes(a: Accuracy) -> list[str]:
    """What the actual is, and how to read a bias."""
    if a.actual_status == "final":
        actual = (
            f"Actual = closed won in {a.period} as of the snapshot of "
            f"{a.actual_as_of.isoformat()}, the first on or after the period's end."
        )
    else:
        actual = (
            f"The period is still open: actual = closed won so far, as of the latest snapshot "
            f"({a.actual_as_of.isoformat()})."
        )
    return [
        actual,
        "Each call is what the forecast said on the snapshot's date: commit = closed won + "
        "commit; best case = that + best case.",
        "Bias = call - actual (above 0: called too high; below 0: too low), and as a share "
        "of the actual (— when the actual is 0).",
    ]


def _rows(a: Accuracy, currency: str, money_kind: str = "usd") -> list[list[str]]:
    return [row_cells(r, currency, money_kind) for r in a.rows]


def render_accuracy_table(
    a: Accuracy, width: int | None = None, currency: str = DEFAULT_CURRENCY
) -> str:
    """Accuracy as a plain-text table laid out for ``width`` (default: ``COLUMNS``)."""
    size = term.width_of(width)
    rows, compact = _rows(a, currency), _rows(a, currency, "compact")
    caption = term.hidden_caption(COLUMNS, rows, size, compact)
    table = term.fit(accuracy_title(a), COLUMNS, rows, size, caption, compact)
    return term.plain([table, *(Text(n) for n in accuracy_notes(a))], size)


def render_accuracy_markdown(a: Accuracy, currency: str = DEFAULT_CURRENCY) -> str:
    out = [f"# {accuracy_title(a)}", ""]
    out += md_table(HEADERS, _rows(a, currency), right_from=2)
    out += [""] + [f"- {n}" for n in accuracy_notes(a)]
    return "\n".join(out) + "\n"


def accuracy_view(a: Accuracy, currency: str = DEFAULT_CURRENCY) -> dict[str, Any]:
    """What the HTML accuracy page shows."""
    return {
        "title": accuracy_title(a),
        "headers": HEADERS,
        "rows": _rows(a, currency),
        "notes": accuracy_notes(a),
    }


def last_period_view(a: Accuracy | None, currency: str = DEFAULT_CURRENCY) -> dict[str, Any] | None:
    """The report's small section: the company's commit and best-case call at the period's
    first and last snapshot against the actual (None without accuracy)."""
    if a is None:
        return None
    first, last = a.snapshots[0], a.snapshots[-1]
    rows = []
    for label, day in (("At the start", first), ("At the end", last)):
        row = a.company_on(day)
        rows.append(
            [
                f"{label} ({day.isoformat()})",
                compact_money(row.commit_call, currency),
                share_text(row.commit_bias_share),
                compact_money(row.best_case_call, currency),
                share_text(row.best_case_bias_share),
            ]
        )
    headers = [
        "Call",
        *(
            FIELDS[f]
            for f in ("commit_call", "commit_bias_share", "best_case_call", "best_case_bias_share")
        ),
    ]
    status = "" if a.actual_status == "final" else ", period still open"
    return {
        "title": f"Forecast accuracy, {a.period}",
        "actual": f"Actual (closed won{status}): "
        f"{compact_money(a.company_on(last).actual, currency)} as of "
        f"{a.actual_as_of.isoformat()}",
        "headers": headers,
        "rows": rows,
    }


def last_period_markdown(a: Accuracy | None, currency: str = DEFAULT_CURRENCY) -> list[str]:
    """The report's accuracy section in Markdown (nothing without accuracy)."""
    view = last_period_view(a, currency)
    if view is None:
        return []
    out = ["", f"## {view['title']}", ""]
    return [*out, *md_table(view["headers"], view["rows"], right_from=1), "", view["actual"]]


def last_period_renderables(
    a: Accuracy | None, width: int, currency: str = DEFAULT_CURRENCY
) -> list[Any]:
    """The report's accuracy section for a terminal (nothing without accuracy)."""
    view = last_period_view(a, currency)
    if view is None:
        return []
    cols = [term.name(view["headers"][0], max_width=30), *map(term.num, view["headers"][1:])]
    return [term.fit(view["title"], cols, view["rows"], width), Text(view["actual"])]
