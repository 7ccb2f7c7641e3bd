"""How every human format writes a value: money, rates, percentages, days, multiples and
text from the input. One function per kind, so a figure reads the same on every face.

Money goes through ``money`` (exact, with cents) or ``compact_money`` (a headline: $107.6M),
both taking the currency's ISO code: USD is written ``$``, EUR ``€``, GBP ``£``, JPY ``¥``,
any other code before the number (``CHF 1,234.00``). A negative amount is always
``-$1,234.00``. A column of rates has one precision (``rate``: whole percent; ``pct``: one
place), days are whole numbers. Text from the input (ids, names, stages) is cut at
``TEXT_LIMIT`` characters for display: the JSON keeps it whole.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from pipereview.decimals import DEFAULT_CURRENCY, SYMBOLS, money_symbol  # noqa: F401

TEXT_LIMIT = 60  # characters of one input value shown (an id, a name, a stage)
SENTENCE_LIMIT = 400  # characters of one sentence shown whole (a user rule's message)
ELLIPSIS = "…"


def _symbol(currency: str) -> tuple[str, str]:
    """What stands before the digits, and after the sign: ``$`` or ``CHF ``."""
    return money_symbol(currency), (currency or DEFAULT_CURRENCY).strip().upper()


def money(value: Any, currency: str = DEFAULT_CURRENCY, places: int = 2) -> str:
    """$1,234.50, -$1,234.50, €12.00, CHF 3.10 (None: an em dash). Exact: the value is
    rounded half-even to ``places`` (the report has already rounded money to cents)."""
    if value is None:
        return "—"
    amount = Decimal(value)
    shown = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    symbol, _ = _symbol(currency)
    sign = "-" if shown < 0 else ""
    return f"{sign}{symbol}{abs(shown):,.{places}f}"


def exact_money(value: Decimal, currency: str = DEFAULT_CURRENCY) -> str:
    """Cents, or every digit when the value has more ($0.005), so printed lines add up."""
    cents = value.quantize(Decimal("0.01"))
    shown = cents if cents == value else value.normalize()
    symbol, _ = _symbol(currency)
    return f"{'-' if value < 0 else ''}{symbol}{abs(shown):,f}"


def signed_money(value: Decimal, currency: str = DEFAULT_CURRENCY) -> str:
    """+$1,200.00, -$3.50, $0.00 (exact)."""
    return ("+" if value > 0 else "") + exact_money(value, currency)


def compact_money(value: Any, currency: str = DEFAULT_CURRENCY) -> str:
    """Money for a headline: $107.6M, $950.2K, $1.2B, $740 (exact figures stay in tables)."""
    if value is None:
        return "—"
    amount = abs(Decimal(value))  # exact: rounded half-even once, like the report
    steps = ((1, ""), (1000, "K"), (10**6, "M"), (10**9, "B"), (10**12, "T"))
    i = max(i for i, (size, _) in enumerate(steps) if amount >= size or i == 0)
    shown = _rounded(amount, steps[i][0], i)
    if i + 1 < len(steps) and shown >= 1000:  # $999.96K reads as $1.0M, $999.6 as $1.0K
        i += 1
        shown = _rounded(amount, steps[i][0], i)
    sign = "-" if Decimal(value) < 0 and shown != 0 else ""
    symbol, _ = _symbol(currency)
    return f"{sign}{symbol}{shown:,}{steps[i][1]}"


def _rounded(amount: Decimal, size: int, step: int) -> Decimal:
    """``amount / size`` half-even to one decimal (whole units below 1,000)."""
    places = Decimal(1) if step == 0 else Decimal("0.1")
    return (amount / size).quantize(places, rounding=ROUND_HALF_EVEN)


def percent(value: float | None, places: int = 1) -> str:
    """A percentage with a fixed number of places: 57.0%, 85.3% (never -0%)."""
    if value is None:
        return "—"
    text = f"{Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN):f}"
    if text.lstrip("-").strip("0.") == "":
        text = text.lstrip("-")
    return text + "%"


def rate(value: float | None, places: int = 0) -> str:
    """A ratio as a percentage: 0.57 -> 57%, 0.785 -> 79% (``places`` = 0)."""
    return "—" if value is None else percent(float(value) * 100, places)


def days(value: float | None) -> str:
    """Days as a whole number: 28, 1,204 (half-even)."""
    if value is None:
        return "—"
    whole = Decimal(repr(float(value))).quantize(Decimal(1), ROUND_HALF_EVEN)
    return f"{abs(whole) if whole == 0 else whole:,}"


def multiple(value: float | Decimal | None) -> str:
    """A coverage multiple with 2 places, or every place the report kept (it keeps more
    only where 2 would misread: 2.99999996x beside a 3x threshold, 0.00000001x, never 0x)."""
    if value is None:
        return "—"
    exact = Decimal(repr(value)) if isinstance(value, float) else value
    places = max(2, -int(exact.normalize().as_tuple().exponent))
    return f"{exact:,.{places}f}x"


def times(value: float) -> str:
    """A threshold multiple as a policy writes it: 3x, 2.5x."""
    return f"{value:g}x"


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def text(value: Any, limit: int = TEXT_LIMIT) -> str:
    """Input text for display: one line, at most ``limit`` characters (cut with …)."""
    if value is None:
        return "—"
    shown = " ".join(str(value).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + ELLIPSIS


def cell(value: Any, kind: str = "", currency: str = DEFAULT_CURRENCY) -> str:
    """Format one value by kind: ``usd`` (money), ``compact``, ``rate`` (a ratio, whole
    percent), ``rate1`` (a ratio, one place), ``pct`` (a percentage, one place), ``points``
    / ``pct_points`` (a change in percentage points), ``days``, ``multiple``; None is an em
    dash, a bool yes/no, an int with thousands, a list joined, text cut for display."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    formats: dict[str, Callable[[Any], str]] = {
        "usd": lambda v: money(v, currency),
        "compact": lambda v: compact_money(v, currency),
        "pct": lambda v: percent(float(v)),
        "rate": lambda v: rate(v),
        "rate1": lambda v: rate(v, 1),
        "points": lambda v: rate(v)[:-1] + " pts",
        "pct_points": lambda v: percent(float(v))[:-1] + " pts",
        "days": days,
        "multiple": multiple,
    }
    if kind in formats:
        return formats[kind](value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return text(", ".join(str(v) for v in value), SENTENCE_LIMIT)
    return text(value)
