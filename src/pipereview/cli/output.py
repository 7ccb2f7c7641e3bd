"""Writing a command's output: to stdout, or to ``--output`` without surprises.

``--output`` never creates a directory, and never overwrites a file of another kind (a PDF
with HTML, a JSON report with a table, a binary file with text); the name's extension must
match what is written (``report.pdf`` gets PDF). The file is written whole or not at all.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from pipereview.errors import PipereviewError

EXTENSION_KINDS = {".pdf": "PDF", ".html": "HTML", ".htm": "HTML", ".json": "JSON"}
TEXT_EXTENSIONS = {".md", ".markdown", ".txt", ".toml"}


def kind_of(content: str | bytes) -> str:
    """What ``content`` is: PDF, HTML, JSON, text or binary (from its first bytes)."""
    head = content[:1024] if isinstance(content, bytes) else content[:1024].encode("utf-8")
    if head.startswith(b"%PDF"):
        return "PDF"
    start = head.lstrip()
    if start[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "HTML"
    if start[:1] in (b"{", b"["):
        return "JSON"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at 1024 bytes
            return "binary"
    return "text"


def _refusal(output: Path, content: str | bytes) -> PipereviewError | None:
    new = kind_of(content)
    if not output.parent.is_dir():
        return PipereviewError(
            f"{output}: the directory {output.parent} does not exist",
            hint="create it first; pipereview never creates directories",
        )
    if output.is_dir():
        return PipereviewError(f"{output}: is a directory", hint="name a file")
    expected = EXTENSION_KINDS.get(output.suffix.lower())
    if expected is None and output.suffix.lower() in TEXT_EXTENSIONS:
        expected = "text"
    if expected is not None and expected != new and not (expected == "text" and new == "JSON"):
        return PipereviewError(
            f"{output}: a {output.suffix} file would get {new} content",
            hint=f"name the file for its format (e.g. report{_suffix(new)}) or change --format",
        )
    if output.exists():
        try:
            with output.open("rb") as f:
                old = kind_of(f.read(1024))
        except OSError as exc:
            return PipereviewError(f"{output}: cannot read ({exc.strerror})")
        if old != new and os.path.getsize(output) > 0:
            return PipereviewError(
                f"{output}: exists and holds {old}, not {new}; refusing to overwrite it",
                hint="remove it or choose another --output",
            )
    return None


def _suffix(kind: str) -> str:
    return {"PDF": ".pdf", "HTML": ".html", "JSON": ".json"}.get(kind, ".txt")


def write_output(content: str | bytes, output: Path | None) -> Path | None:
    """Write ``content`` to ``output`` (atomically), or to stdout when it is None. PDF is
    not written to a terminal. Raises PipereviewError with the reason and the fix."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if output is None:
        if isinstance(content, bytes) and sys.stdout.isatty():
            raise PipereviewError(
                "a PDF is not shown on a terminal", hint="add --output report.pdf"
            )
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return None
    refusal = _refusal(output, content)
    if refusal is not None:
        raise refusal
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, output)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise PipereviewError(f"{output}: cannot write ({exc.strerror})") from None
    return output


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
