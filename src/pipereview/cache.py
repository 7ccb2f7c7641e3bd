"""Whether and where pipereview keeps compiled queries between runs (``engines/plan_cache.py``
keeps them): the CLI turns the cache on (``--no-cache`` or ``PIPEREVIEW_NO_CACHE=1`` keep it
off); the library keeps compiled queries in memory only unless ``use_query_cache`` is called.

The directory is ``$PIPEREVIEW_CACHE_DIR`` or the user's cache directory's
``pipereview/plans`` (``platformdirs``: ``~/.cache/pipereview/plans`` on Linux). Deleting it
is always safe. Nothing here imports the engine, so the CLI can decide before it loads one.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_LOCK = threading.Lock()
_directory: list[Path | None] = [None]


def default_dir() -> Path:
    """``$PIPEREVIEW_CACHE_DIR``, or the user's cache directory's ``pipereview/plans``."""
    named = os.environ.get("PIPEREVIEW_CACHE_DIR")
    if named:
        return Path(named)
    import platformdirs

    return Path(platformdirs.user_cache_dir("pipereview")) / "plans"


def use_query_cache(on: bool = True, directory: Path | None = None) -> None:
    """Keep compiled queries on disk from now on, in ``directory`` (``default_dir()`` when
    None), so that later processes find them; ``on=False`` keeps them in memory only."""
    with _LOCK:
        _directory[0] = (directory or default_dir()) if on else None


def query_cache_dir() -> Path | None:
    """Where compiled queries are kept on disk, or None when they are kept in memory only."""
    return _directory[0]
