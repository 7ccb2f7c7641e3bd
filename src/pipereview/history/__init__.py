"""History: the snapshot store and the fiscal calendar (the same layer as ``sources``).

The store's defaults live here, where the CLI can read them without importing the engine.
"""

DEFAULT_STORE = "pipereview.duckdb"
DEFAULT_WAIT = 30.0  # seconds a second writer waits for the first one


def store_label(location: object) -> str:
    """How messages name a store: its path, or a server's URL without the password."""
    from pipereview.history.mysql_db import is_mysql_url, mysql_describe
    from pipereview.sources.warehouse import is_postgres, postgres_describe

    text = str(location)
    if is_postgres(text):
        return f"{postgres_describe(text)} (schema pipereview)"
    return mysql_describe(text) if is_mysql_url(text) else text


def on_a_server(location: object) -> bool:
    """True for a store in a database server (PostgreSQL, MySQL), not in a file."""
    from pipereview.history.mysql_db import is_mysql_url
    from pipereview.sources.warehouse import is_postgres

    return is_postgres(str(location)) or is_mysql_url(str(location))
