"""The dashboard: a read-only FastAPI app over one report (files) or a snapshot store."""

from pipereview.web.app import create_app
from pipereview.web.source import FileSource, Source, StoreSource

__all__ = ["FileSource", "Source", "StoreSource", "create_app"]
