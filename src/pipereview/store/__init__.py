"""The snapshot store: each as-of date's canonical deals and reps and its report, kept so that
later reports can say what changed (``changes``, ``flow``, velocity from snapshots).

- ``snapshots.py``: ``Store``, the store's logic, the same for every backend: its tables,
  versions, writing a snapshot in one transaction, reading one back.
- ``protocol.py``: ``Backend``, what a store backend does (open, lock, transaction, tables).
- ``backends.py``: which backend a ``--store`` names, and the two kept in an engine's own
  database: a DuckDB file, a PostgreSQL schema.
- ``portable.py``: the portable layout for databases that are not an engine, kept by
  ``sqlite_file.py`` (a SQLite file) and ``mysql_db.py`` (a MySQL/MariaDB database).
- ``backfill.py``: past snapshots replayed from today's export and a field history.

The store's defaults live here, where the CLI can read them without importing the engine.
"""

DEFAULT_STORE = "pipereview.duckdb"
DEFAULT_WAIT = 30.0  # seconds a second writer waits for the first one
