"""CLI habits people know from Typer/Rich, dbt and datasette: ``-h`` as ``--help``,
``--version``, and a metavar (FILE, DATE, URL) or the choices beside an option in the help,
never a Python type (``<str>``, ``<list[str]>``, ``<bool>``, which Typer 0.29 prints by
default: its ``display_type_rich`` is replaced here, for every option and argument)."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperOption

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}


def _metavar(param: Any, ctx: Any) -> str | None:
    """What the help shows beside an option: its metavar (FILE, DATE), its choices
    (<table|json>), nothing for a flag; never a Python type (<str>, <list[str]>, <bool>)."""
    if param.metavar is not None:
        return str(param.metavar)
    if getattr(param, "is_flag", False):
        return None
    if param.type_descriptor.is_choice:
        return str(TyperOption.display_type(param, ctx))
    return "VALUE"


def _argument_type(param: Any, ctx: Any) -> str | None:
    """An argument is named by its metavar (ID, DATE); beside it, only its choices."""
    return str(TyperArgument.display_type(param, ctx)) if param.type_descriptor.is_choice else None


TyperOption.display_type_rich = _metavar  # type: ignore[method-assign,assignment]
TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]


def print_version(value: bool) -> None:
    """``--version``: print the installed version and stop."""
    if value:
        from importlib.metadata import version

        typer.echo(f"pipereview {version('pipereview')}")
        raise typer.Exit()
