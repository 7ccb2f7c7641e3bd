"""The dashboard command: ``pipereview serve``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pipereview.cli.app import app
from pipereview.cli.common import PolicyOpt, err_console, fail, parse_date
from pipereview.errors import PipereviewError

if TYPE_CHECKING:
    from pipereview.web.source import Source


@app.command()
def serve(
    store: Annotated[
        str | None, typer.Option("--store", help="Snapshot store: every date, with history.")
    ] = None,
    deals: Annotated[Path | None, typer.Option("--deals", help="Deals file (one report).")] = None,
    reps: Annotated[Path | None, typer.Option("--reps", help="Reps file (one report).")] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="DATE", help="YYYY-MM-DD for --deals/--reps (default: today)."
        ),
    ] = None,
    policy: PolicyOpt = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="PIPEREVIEW_TOKEN",
            help="Require this token (also PIPEREVIEW_TOKEN); needed off the loopback address.",
        ),
    ] = None,
) -> None:
    """Serve the read-only dashboard: overview, reps, deals and a JSON API."""
    from pipereview.web.auth import is_loopback

    if (store is None) == (deals is None and reps is None):
        raise fail(
            PipereviewError(
                "serve needs either --store or both --deals and --reps",
                hint="e.g. pipereview serve --store pipereview.duckdb",
            )
        )
    if store is None and (deals is None or reps is None):
        raise fail(PipereviewError("--deals and --reps go together", hint="give both files"))
    if not token and not is_loopback(host):
        raise fail(
            PipereviewError(
                f"refusing to serve on {host} without a token",
                hint="set --token or PIPEREVIEW_TOKEN, or bind to 127.0.0.1",
            )
        )
    source = _source(store, deals, reps, as_of, policy)
    from pipereview.web import create_app
    from pipereview.web.server import run

    err_console.print(
        f"serving on http://{host}:{port}/" + (" (token required)" if token else ""),
        highlight=False,
    )
    run(
        create_app(source, token=token or None),
        host=host,
        port=port,
        log_level=os.environ.get("PIPEREVIEW_LOG_LEVEL", "warning"),
    )


def _source(
    store: str | None,
    deals: Path | None,
    reps: Path | None,
    as_of: str | None,
    policy: Path | None,
) -> Source:
    from pipereview.web.source import FileSource, StoreSource

    try:
        if store is not None:
            return StoreSource(store, policy=policy)
        assert deals is not None and reps is not None
        return FileSource(deals, reps, parse_date(as_of), policy=policy)
    except PipereviewError as exc:
        raise fail(exc) from None
