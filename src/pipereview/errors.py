"""Error hierarchy. Every error carries where the problem is and how to fix it.

This module imports nothing from the package, so every layer may use it.
"""

from __future__ import annotations


class PipereviewError(Exception):
    """Base class: a problem the user can fix. The CLI prints ``str(err)`` and exits 1."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class InputError(PipereviewError):
    """A data input that cannot be used: names the source, row and column where known."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
        line: int | None = None,
    ) -> None:
        self.detail = message  # the message without where it is
        self.source = source
        self.row = row  # 1-based data row (header excluded)
        self.line = line  # the line a text editor or spreadsheet shows (header = line 1)
        self.column = column
        where = ", ".join(
            part
            for part in (
                source,
                f"line {line}" if line is not None else f"row {row}" if row is not None else None,
                f"column {column!r}" if column is not None else None,
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message, hint=hint)


class PolicyError(PipereviewError):
    """A policy file that cannot be used: names the file and the key."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.source = source
        self.key = key
        where = ", ".join(p for p in (source, f"key {key!r}" if key else None) if p)
        super().__init__(f"{where}: {message}" if where else message, hint=hint)


class EngineError(PipereviewError):
    """The compute engine is unavailable or misconfigured (e.g. pyspark not installed)."""


class NotFoundError(PipereviewError):
    """A requested subject (deal or rep id) is not in the data."""


class StoreError(PipereviewError):
    """A snapshot store that cannot be used: names the store and, where known, the date."""


class UsageError(PipereviewError):
    """Options that do not go together: names the option (the CLI exits 2 on it, as on any
    bad option)."""

    def __init__(self, message: str, *, option: str, hint: str | None = None) -> None:
        self.option = option
        super().__init__(message, hint=hint)
