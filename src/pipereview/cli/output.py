"""Writing a command's output: to stdout, or to ``--output`` without surprises.

``--output`` never creates a directory. A name with a known extension must get that kind of
content (``report.pdf`` gets PDF); a name without one never overwrites a file that holds
another kind (a PDF with HTML, a JSON report with a table, a binary file with text). A
regular file is replaced whole or not at all (a temporary file beside it, renamed over it,
with the old file's permissions); a symlink, a file with other hard links, a FIFO or a
device is written in place, so the link's target, the other names or the device get the
output.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from pipereview.errors import PipereviewError

EXTENSION_KINDS = {".pdf": "PDF", ".html": "HTML", ".htm": "HTML", ".json": "JSON"}
TEXT_EXTENSIONS = {".md", ".markdown", ".txt", ".toml"}
BOM = b"\xef\xbb\xbf"


def kind_of(content: str | bytes) -> str:
    """What ``content`` is: PDF, HTML, JSON, text or binary (from its first bytes)."""
    head = content[:1024] if isinstance(content, bytes) else content[:1024].encode("utf-8")
    if head.startswith(b"%PDF"):
        return "PDF"
    start = head.removeprefix(BOM).lstrip()
    lowered = start.lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or (
        lowered.startswith(b"<!--") and (b"<html" in lowered or b"<!doctype html" in lowered)
    ):
        return "HTML"
    if start[:1] in (b"{", b"["):
        return "JSON"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not merely a character cut at 1024 bytes
            return "binary"
    return "text"


def _expected(output: Path) -> str | None:
    """The kind a file name declares by its extension (None: it declares none)."""
    suffix = output.suffix.lower()
    return EXTENSION_KINDS.get(suffix) or ("text" if suffix in TEXT_EXTENSIONS else None)


def _refusal(output: Path, content: str | bytes) -> PipereviewError | None:
    new = kind_of(content)
    if not output.parent.is_dir():
        return PipereviewError(
            f"{output}: the directory {output.parent} does not exist",
            hint="create it first; pipereview never creates directories",
        )
    if output.is_dir():
        return PipereviewError(f"{output}: is a directory", hint="name a file")
    expected = _expected(output)
    if expected is not None:
        if expected != new and not (expected == "text" and new == "JSON"):
            return PipereviewError(
                f"{output}: a {output.suffix} file would get {new} content",
                hint=f"name the file for its format (e.g. report{_suffix(new)}) or change --format",
            )
        return None  # the name says what the file is for; the new content is that
    if output.is_file() and output.stat().st_size > 0:  # never open a FIFO or device to sniff
        try:
            with output.open("rb") as f:
                old = kind_of(f.read(1024))
        except OSError as exc:
            return PipereviewError(f"{output}: cannot read ({exc.strerror})")
        if old != new:
            return PipereviewError(
                f"{output}: exists and holds {old}, not {new}; refusing to overwrite it",
                hint="remove it or choose another --output",
            )
    return None


def _suffix(kind: str) -> str:
    return {"PDF": ".pdf", "HTML": ".html", "JSON": ".json"}.get(kind, ".txt")


def write_output(content: str | bytes, output: Path | None) -> Path | None:
    """Write ``content`` to ``output``, or to stdout when it is None. PDF is not written to
    a terminal. Raises PipereviewError with the reason and the fix."""
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
    try:
        _write(output, data)
    except OSError as exc:
        raise PipereviewError(f"{output}: cannot write ({exc.strerror})") from None
    return output


def _write(output: Path, data: bytes) -> None:
    """Replace a regular file (or create one) atomically; write anything else in place."""
    try:
        found = os.lstat(output)
    except FileNotFoundError:
        found = None
    if found is not None and (not stat.S_ISREG(found.st_mode) or found.st_nlink > 1):
        with open(output, "wb") as f:  # a symlink's target, other hard links, a FIFO, a device
            f.write(data)
        return
    mode = stat.S_IMODE(found.st_mode) if found is not None else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
