"""pipereview's Spark compiler: Ibis's, with two fixes, for ``SparkEngine``'s connections.

Imported when a Spark engine connects, not with the engines: building it imports Ibis's
Spark compiler and sqlglot's Spark dialects, which a DuckDB run never needs.
"""

from __future__ import annotations

from typing import Any

from ibis.backends.sql.compilers.pyspark import PySparkCompiler
from ibis.common.patterns import replace
from ibis.expr.rewrites import p


@replace(p.Add(p.Subtract(p.WindowFunction(p.RowNumber), p.Literal(1)), p.Literal(1)))
def _one_based(_: Any, **kwargs: Any) -> Any:
    return _.left.left


class SparkCompiler(PySparkCompiler):
    """Ibis's Spark compiler with pipereview's two fixes; it compiles for the connections
    of ``SparkEngine`` only (``con.compiler``), Ibis's own compiler is left as it is.

    - ``strip()``: Ibis 12 compiles it to TRIM(' \\t\\n\\r\\v\\f' FROM x), and Spark SQL reads
      the unknown escapes \\v and \\f in a literal as the letters v and f, so "false" was
      trimmed to "alse" and a stage "Sales Dev" to "Sales De". Trim the whitespace Spark's
      literals spell (space, tab, newline, return; vertical tab and form feed are not trimmed
      on Spark).
    - A top-k as Spark's window group limit: Ibis turns ``row_number()`` 0-based as
      ROW_NUMBER() - 1, and Spark only limits each window group to k rows when the filter
      compares the ROW_NUMBER() itself (rn <= k, rn < k, rn = k). pipereview writes a top-k
      as the 1-based ``row_number() + 1`` filtered with ``<=`` or ``==``; this rewrite drops
      the ``- 1 + 1`` Ibis would compile, so Spark sees ROW_NUMBER() <= k. Only that exact
      shape changes, and the value is the same.
    """

    rewrites = (*PySparkCompiler.rewrites, _one_based)

    def visit_Strip(self, op: Any, *, arg: Any) -> Any:
        return self.f.trim(arg, " \t\n\r")
