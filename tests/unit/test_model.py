"""The report model's JSON writing and rounding rule, on hand-picked values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipereview.report.model import decimal_text, dumps, round_value


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("0", "0.0"),
        ("0.00", "0.0"),
        ("1", "1.0"),
        ("7.00", "7.0"),
        ("100", "100.0"),
        ("1234.50", "1234.5"),
        ("-0.50", "-0.5"),
        ("0.10", "0.1"),
        ("1E+3", "1000.0"),
        ("12345678901234.5678", "12345678901234.5678"),
    ],
)
def test_decimal_text_writes_exact_digits_never_an_exponent(value: str, text: str) -> None:
    assert decimal_text(Decimal(value)) == text


def test_dumps_writes_decimals_exactly_and_refuses_other_objects() -> None:
    assert dumps({"a": Decimal("0.10"), "b": 1}) == '{\n  "a": 0.1,\n  "b": 1\n}\n'
    assert dumps({"a": Decimal("2.50")}, indent=None) == '{"a":2.5}\n'
    with pytest.raises(TypeError):
        dumps({"a": object()})


@pytest.mark.parametrize(
    ("unit", "value", "rounded"),
    [
        ("usd", Decimal("0.125"), Decimal("0.12")),  # half-even
        ("usd", Decimal("0.135"), Decimal("0.14")),
        ("usd", None, None),
        ("usd", Decimal("-0.004"), Decimal("0.00")),  # never -0.00
        ("ratio", 0.125, 0.12),  # Python round on the double
        ("ratio", 0.126, 0.13),
        ("ratio", None, None),
        ("days", 20.994, 20.99),
        ("pct", 69.96, 70.0),
        ("pct", None, None),
        ("count", 3.0, 3),
        ("integer", -7.9, -7),
        ("text", "x", "x"),
    ],
)
def test_the_one_rounding_rule(unit: str, value: object, rounded: object) -> None:
    got = round_value(unit, value)  # type: ignore[arg-type]
    assert got == rounded and type(got) is type(rounded) and str(got) == str(rounded)


def test_money_must_arrive_exact() -> None:
    with pytest.raises(TypeError, match="money reached the report as a float"):
        round_value("usd", 0.1)


def test_json_mode_keeps_booleans_and_counts_in_evidence() -> None:
    # model_dump(mode="json") (plain Python values for API callers) must not turn a flag's
    # boolean evidence into 1.0 or a count into 3.0; money becomes a float there.
    from decimal import Decimal

    from pipereview.report.model import Flag

    flag = Flag(
        rule="r",
        subject_type="rep",
        subject_id="R1",
        severity="info",
        observed={"fired": True, "n": 3, "usd": Decimal("1.50"), "ratio": 0.5},
        thresholds={},
        message="m",
    )
    assert flag.model_dump(mode="json")["observed"] == {
        "fired": True,
        "n": 3,
        "usd": 1.5,
        "ratio": 0.5,
    }
    dumped = flag.model_dump(mode="json")["observed"]
    assert type(dumped["fired"]) is bool and type(dumped["n"]) is int


def test_rounded_rows_round_each_column_by_its_unit() -> None:
    import pyarrow as pa

    from pipereview.report.rounding import rounded_rows

    money = pa.decimal128(38, 10)
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "value": pa.array(
                [Decimal("0.125"), Decimal("0.1350000001"), None], type=money
            ),  # half-even to cents: 0.12 (a tie), 0.14 (above the tie)
            "whole": pa.array([7, None, -2], type=pa.int64()),  # money as integers
            "rate": [0.125, 0.126, None],
            "n": [3.0, None, -7.9],
        }
    )
    units = {"value": "usd", "whole": "usd", "rate": "ratio", "n": "count"}
    assert rounded_rows(table, units) == [  # type: ignore[arg-type]
        {"id": "a", "value": Decimal("0.12"), "whole": Decimal("7.00"), "rate": 0.12, "n": 3},
        {"id": "b", "value": Decimal("0.14"), "whole": None, "rate": 0.13, "n": None},
        {"id": "c", "value": None, "whole": Decimal("-2.00"), "rate": None, "n": -7},
    ]
    got = rounded_rows(table, units)[0]  # type: ignore[arg-type]
    assert str(got["value"]) == "0.12" and type(got["n"]) is int  # cents, not 0.1200000000
    assert rounded_rows(table.slice(0, 0), units) == []  # type: ignore[arg-type]


def test_rounded_rows_refuse_money_as_a_float() -> None:
    import pyarrow as pa

    from pipereview.report.rounding import rounded_rows

    with pytest.raises(TypeError, match=r"money reached the report as a float \(value\)"):
        rounded_rows(pa.table({"value": [0.1]}), {"value": "usd"})


def test_the_model_writes_as_its_dump_does() -> None:
    # Report.to_json hands dumps the models themselves (no model_dump first): the JSON must
    # be the dump's, keys in model order, nested models and money included.
    import datetime as dt

    from pipereview.report.model import DealDetail

    detail = DealDetail(
        deal_id="D1",
        rep_id=None,
        rep_name=None,
        stage="Proposal",
        status="active",
        deal_value_usd=Decimal("1234.50"),
        probability=0.4,
        expected_value=Decimal("493.80"),
        days_in_stage=12.0,
        close_date=dt.date(2026, 12, 1),
        risk_flags=["slow"],
    )
    assert dumps({"d": [detail]}) == dumps({"d": [detail.model_dump(mode="python")]})
    assert dumps(detail).index('"deal_id"') < dumps(detail).index('"close_date"')
