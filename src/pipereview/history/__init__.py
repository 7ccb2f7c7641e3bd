"""History: the snapshot store and the fiscal calendar (the same layer as ``sources``).

The store's defaults live here, where the CLI can read them without importing the engine.
"""

DEFAULT_STORE = "pipereview.duckdb"
DEFAULT_WAIT = 30.0  # seconds a second writer waits for the first one


def store_label(location: object) -> str:
    """How messages name a store: its path, or a PostgreSQL URL without the password."""
    from pipereview.sources.warehouse import is_postgres, postgres_describe

    text = str(location)
    return f"{postgres_describe(text)} (schema pipereview)" if is_postgres(text) else text
