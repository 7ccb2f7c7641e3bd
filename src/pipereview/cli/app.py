"""The Typer app and its groups (``policy``, ``preset``), and the options every command
takes before its name (``--version``, ``--no-cache``); each command module registers its
commands on them."""

from __future__ import annotations

from typing import Annotated

import typer

from pipereview.cli.habits import HELP_OPTIONS, print_version

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings=HELP_OPTIONS,
    help="Rule-based pipeline review: CRM deals and reps in, explained numbers out.",
)
policy_app = typer.Typer(no_args_is_help=True, context_settings=HELP_OPTIONS, help="Policy files.")
preset_app = typer.Typer(
    no_args_is_help=True, context_settings=HELP_OPTIONS, help="Shipped mappings for CRM exports."
)
app.add_typer(policy_app, name="policy")
app.add_typer(preset_app, name="preset")


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            envvar="PIPEREVIEW_NO_CACHE",
            help="Compile every query again instead of reusing the compiled queries kept in "
            "the cache directory ($PIPEREVIEW_CACHE_DIR, else ~/.cache/pipereview/plans on "
            "Linux); the results are the same.",
        ),
    ] = False,
) -> None:
    """Rule-based pipeline review: CRM deals and reps in, explained numbers out."""
    from pipereview.api import use_query_cache

    use_query_cache(not no_cache)
