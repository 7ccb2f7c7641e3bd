"""History: the snapshot store and the fiscal calendar (the same layer as ``sources``).

The store's defaults live here, where the CLI can read them without importing the engine.
"""

DEFAULT_STORE = "pipereview.duckdb"
DEFAULT_WAIT = 30.0  # seconds a second writer waits for the first one
