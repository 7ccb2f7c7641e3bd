"""The snapshot store: canonical inputs and the report for each as-of date, in one DuckDB file,
in the ``pipereview`` schema of a PostgreSQL database, or in a SQLite file or a MySQL database
(``backends.py``).

The store is reached through the engine's own connection when it lives there (a DuckDB file
attached to a DuckDB engine; a PostgreSQL store in the engine's server), so a snapshot is
written from the engine (``INSERT ... SELECT`` from the canonical tables) and read back as
Ibis tables that join with today's inputs; no row passes through Python. With another
engine (Spark, or PostgreSQL tables beside a DuckDB file) the store has its own engine: a
snapshot's rows are streamed into it as Arrow batches, and an earlier snapshot is copied
into the compute engine to compare with. A SQLite store is always reached that way: its
rows are encoded to portable text on the way in and decoded into DuckDB on the way out.
A snapshot is written in one
transaction: a process killed while writing leaves the earlier snapshots and no partial one.
One process writes at a time; a second one waits (``wait`` seconds) and then fails with one
line. The store carries a schema version and refuses a newer one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.engines import Engine
from pipereview.errors import StoreError
from pipereview.schema import ROW_COLUMN, TABLES
from pipereview.store import DEFAULT_STORE, DEFAULT_WAIT
from pipereview.store.backends import backend_for

STORE_SCHEMA_VERSION = 1
META, SNAPSHOTS = "pipereview_meta", "snapshots"
TABLE_NAMES = {"deals": "snapshot_deals", "reps": "snapshot_reps"}


@dataclass(frozen=True)
class SnapshotInfo:
    """One stored snapshot, without its rows."""

    as_of: dt.date
    input_fingerprint: str
    policy_fingerprint: str
    deals: int
    reps: int


def _schema(table: str) -> ibis.Schema:
    columns = {"as_of": "date"}
    columns.update({c.name: c.dtype for c in TABLES[table]})
    columns[ROW_COLUMN] = "int64"
    return ibis.schema(columns)


META_SCHEMA = ibis.schema({"key": "string", "value": "string"})
SNAPSHOT_SCHEMA = ibis.schema(
    {
        "as_of": "date",
        "input_fingerprint": "string",
        "policy_fingerprint": "string",
        "deals": "int64",
        "reps": "int64",
        "report": "string",
    }
)

# Every table of a store, in the order they are created (META last: it marks a whole store).
SCHEMAS = {
    SNAPSHOTS: SNAPSHOT_SCHEMA,
    **{name: _schema(table) for table, name in TABLE_NAMES.items()},
    META: META_SCHEMA,
}


class Store:
    """A snapshot store reached through an engine. Use as a context manager: the store is
    opened (a DuckDB file attached and locked) on enter and closed on exit."""

    def __init__(
        self,
        engine: Engine,
        location: str | Path = DEFAULT_STORE,
        *,
        read_only: bool = False,
        wait: float = DEFAULT_WAIT,
    ) -> None:
        self.compute = engine  # where the report is computed
        self.backend = backend_for(engine, location, read_only, wait)
        self.engine: Engine = self.backend.engine  # where the store's tables are read
        # A store outside the compute engine (a DuckDB file with Spark or PostgreSQL, or a
        # PostgreSQL store with another engine): snapshot rows are copied between the two.
        self.foreign = self.engine is not engine or self.backend.copies
        self.path = self.backend.name  # how messages name the store
        self.read_only = read_only

    # --- opening ------------------------------------------------------------------------
    def __enter__(self) -> Store:
        self.backend.open()
        try:
            self._check_version()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.backend.close()

    def _tables(self) -> set[str]:
        return self.backend.tables()

    def _check_version(self) -> None:
        tables = self._tables()
        if META not in tables:
            # Only the store's own tables, without META: a first write killed before it
            # finished on a database whose DDL commits on its own (MySQL); completed below.
            if self.read_only or tables - set(SCHEMAS):
                raise StoreError(
                    f"{self.path}: not a pipereview store (no {META} table)",
                    hint="--store must name a store written by pipereview: a new file or "
                    "database, or one pipereview wrote",
                )
            self._create()
            return
        version = self._version()
        if version is None and not self.read_only:
            self._create()
        elif version is not None and version > STORE_SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: store schema version {version} is newer than this pipereview "
                f"reads ({STORE_SCHEMA_VERSION})",
                hint="upgrade pipereview to read this store",
            )

    def _version(self) -> int | None:
        meta = self.backend.table(META, META_SCHEMA)
        rows = self.backend.rows(meta.filter(meta.key == "schema_version"), META_SCHEMA)
        if not rows:
            return None
        values = sorted({str(row["value"]) for row in rows})
        if len(values) > 1 or not (values[0].isascii() and values[0].isdigit()):
            raise self.damaged(
                f"its schema version is {' and '.join(repr(v) for v in values)}, not a whole number"
            )
        return int(values[0])

    def damaged(self, what: str, day: dt.date | None = None) -> StoreError:
        """The error for a store whose contents pipereview did not write as they are (a
        ``day``'s snapshot: delete it and take it again)."""
        again = (
            f"delete that snapshot (pipereview history delete {day.isoformat()}) and take it "
            "again, or restore the store from a backup"
            if day is not None
            else "restore it from a backup"
        )
        return StoreError(
            f"{self.path}: damaged store: {what}",
            hint=f"it was changed outside pipereview; {again}",
        )

    def _create(self) -> None:
        """Create what the store lacks, META last and its version row with it: another
        writer may have done it while this one waited, or a killed one may have left part."""
        backend = self.backend
        with self._transaction():
            tables = self._tables()
            for name, schema in SCHEMAS.items():
                if name not in tables:
                    backend.create_table(name, schema)
            if META in tables and self._version() is not None:
                return
            backend.append(
                META,
                pa.table(
                    {"key": ["schema_version"], "value": [str(STORE_SCHEMA_VERSION)]},
                    schema=META_SCHEMA.to_pyarrow(),
                ),
            )

    def _transaction(self) -> Any:
        return self.backend.transaction()

    # --- reading ------------------------------------------------------------------------
    def snapshots(self) -> list[SnapshotInfo]:
        """Every snapshot, oldest first (StoreError when a date has two)."""
        t = self.backend.table(SNAPSHOTS, SNAPSHOT_SCHEMA)
        rows = self.backend.rows(t.drop("report").order_by("as_of"), SNAPSHOT_SCHEMA)
        infos = [SnapshotInfo(**row) for row in rows]
        twice = sorted({a.as_of for a, b in itertools.pairwise(infos) if a.as_of == b.as_of})
        if twice:
            raise self.damaged(
                f"{len(twice)} date(s) with more than one snapshot row ({twice[0].isoformat()})",
                twice[0],
            )
        return infos

    def dates(self) -> list[dt.date]:
        return [info.as_of for info in self.snapshots()]

    def has(self, as_of: dt.date) -> bool:
        return as_of in self.dates()

    def require(self, as_of: dt.date) -> None:
        """StoreError naming the dates there are when ``as_of`` has no snapshot."""
        dates = self.dates()
        if as_of not in dates:
            known = ", ".join(d.isoformat() for d in dates[-5:]) or "none yet"
            raise StoreError(
                f"{self.path}: no snapshot for {as_of.isoformat()}",
                hint=f"snapshots: {known} (pipereview history list)",
            )

    def report_json(self, as_of: dt.date) -> str:
        """The report stored with the snapshot, as JSON text."""
        self.require(as_of)
        t = self.backend.table(SNAPSHOTS, SNAPSHOT_SCHEMA)
        (row,) = self.backend.rows(t.filter(t.as_of == as_of).select("report"), SNAPSHOT_SCHEMA)
        return str(row["report"])

    def table(self, table: str, as_of: dt.date) -> ir.Table:
        """The canonical ``deals`` or ``reps`` of one snapshot, as an engine table."""
        self.require(as_of)
        t = self.backend.table(TABLE_NAMES[table], _schema(table))
        return self.backend.bring(t.filter(t.as_of == as_of).drop("as_of"), _schema(table))

    def table_in(self, engine: Engine, table: str, as_of: dt.date) -> ir.Table:
        """``table(table, as_of)`` as a table of ``engine``: the store's own table when the
        store lives there, else a copy of its rows (in their input order)."""
        t = self.table(table, as_of)
        if engine is self.engine:
            return t
        return engine.from_arrow(t.order_by(ROW_COLUMN).to_pyarrow())

    def deals_through(self, as_of: dt.date) -> ir.Table:
        """The canonical deals of every snapshot on or before ``as_of``, with its ``as_of``."""
        t = self.backend.table(TABLE_NAMES["deals"], _schema("deals"))
        return self.backend.bring(t.filter(t.as_of <= as_of), _schema("deals"))

    # --- writing ------------------------------------------------------------------------
    def check_new(self, as_of: dt.date, replace: bool = False) -> None:
        """StoreError when a snapshot for ``as_of`` exists and ``replace`` is not given."""
        if not replace and self.has(as_of):
            raise StoreError(
                f"{self.path}: a snapshot for {as_of.isoformat()} exists",
                hint="pass --replace to overwrite it, or pick another --as-of",
            )

    def write(
        self,
        as_of: dt.date,
        deals: ir.Table,
        reps: ir.Table,
        *,
        report_json: str,
        input_fingerprint: str,
        policy_fingerprint: str,
        replace: bool = False,
    ) -> SnapshotInfo:
        """Store both canonical tables and the report for ``as_of`` in one transaction."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        with self._transaction():
            self.check_new(as_of, replace)
            if replace and self.has(as_of):
                self._delete_rows(as_of)
            counts = {}
            for table, source in (("deals", deals), ("reps", reps)):
                schema = _schema(table)
                row = source.select(
                    *(
                        (ibis.literal(as_of) if name == "as_of" else source[name])
                        .cast(dtype)
                        .name(name)
                        for name, dtype in schema.items()
                    )
                )
                if self.foreign:  # computed elsewhere: the rows come over as Arrow batches
                    self.backend.insert_batches(TABLE_NAMES[table], row.to_pyarrow_batches())
                else:
                    self.engine.con.insert(TABLE_NAMES[table], row, database=self.backend.database)
                counts[table] = int(self.compute.one(source.aggregate(n=source.count()))["n"])
            info = SnapshotInfo(
                as_of=as_of,
                input_fingerprint=input_fingerprint,
                policy_fingerprint=policy_fingerprint,
                deals=counts["deals"],
                reps=counts["reps"],
            )
            self.backend.append(
                SNAPSHOTS,
                pa.Table.from_pylist(
                    [{**dataclasses.asdict(info), "report": report_json}],
                    schema=SNAPSHOT_SCHEMA.to_pyarrow(),
                ),
            )
        return info

    def delete(self, as_of: dt.date) -> None:
        """Remove one snapshot (StoreError when there is none for the date); every row of
        the date goes, so a date a damaged store holds twice can be taken again."""
        t = self.backend.table(SNAPSHOTS, SNAPSHOT_SCHEMA)
        if not self.backend.rows(t.filter(t.as_of == as_of).select("as_of"), SNAPSHOT_SCHEMA):
            self.require(as_of)  # the error naming the dates there are
        with self._transaction():
            self._delete_rows(as_of)

    def _delete_rows(self, as_of: dt.date) -> None:
        for name in (SNAPSHOTS, *TABLE_NAMES.values()):
            self.backend.execute(
                f"DELETE FROM {self.backend.qualified(name)} WHERE as_of = ?", [as_of]
            )


def describe(info: SnapshotInfo) -> dict[str, Any]:
    """A snapshot as a plain mapping (for JSON and tables)."""
    return {
        "as_of": info.as_of.isoformat(),
        "deals": info.deals,
        "reps": info.reps,
        "input_fingerprint": info.input_fingerprint,
        "policy_fingerprint": info.policy_fingerprint,
    }
