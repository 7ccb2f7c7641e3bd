"""Writing a command's output: to stdout, or to ``--output`` without surprises.

``--output`` never creates a directory and never replaces what the user owns:
- a file the run reads (``--deals``, ``--reps``, ``--policy``, ``--mapping``, a stage table,
  quotas, rates, a history, the store, a DuckDB ``--source``), whether named as it is, through
  a symlink, or as another hard link of the same file (the same device and inode);
- a file that holds another kind of content (PDF, HTML, JSON, text or binary, judged from
  its first bytes), whatever its name says; through a symlink, the file it points to.
A name with a known extension must get that kind of content (``report.pdf`` gets PDF), and so
must the name a symlink points to. A text name (``.md``, ``.txt``, ``.toml``) is the one
latitude: JSON is text, so such a file holding text or JSON may get either.
A command checks all of this before it computes (``refusal`` with the format's kind: a
missing directory, a wrong extension or an input named as the output fail at once), and
again with the content when it writes. A regular file is replaced whole or not at all (a
temporary file beside it, renamed over it, with the old file's permissions); a symlink, a
file with other hard links, a FIFO or a device is written in place, so the link's target,
the other names or the device get the output.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Mapping
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


# What each --format writes.
FORMAT_KINDS = {
    "table": "text",
    "json": "JSON",
    "markdown": "text",
    "md": "text",
    "html": "HTML",
    "pdf": "PDF",
}


def _fits(expected: str | None, kind: str) -> bool:
    """True when content of ``kind`` may go under a name declaring ``expected``."""
    return expected is None or expected == kind or (expected == "text" and kind == "JSON")


def refusal(
    output: Path, kind: str, inputs: Mapping[str, object] | None = None, force: bool = False
) -> PipereviewError | None:
    """Why content of ``kind`` may not be written to ``output`` (None: it may). ``inputs``:
    the files the run reads, by option name; ``force`` lets a file of another kind be
    replaced (``policy init --force``), never an input."""
    target = Path(os.path.realpath(output))  # a symlink's target; else the path itself
    for folder in dict.fromkeys((output.parent, target.parent)):
        if not folder.is_dir():
            return PipereviewError(
                f"{output}: the directory {folder} does not exist",
                hint="create it first; pipereview never creates directories",
            )
    if output.is_dir():
        return PipereviewError(f"{output}: is a directory", hint="name a file")
    for name in dict.fromkeys((output, target)):
        if not _fits(_expected(name), kind):
            via = "" if name == output else f" (the file {output} points to)"
            return PipereviewError(
                f"{name}{via}: a {name.suffix} file would get {kind} content",
                hint=f"name the file for its format (e.g. report{_suffix(kind)}) or change "
                "--format",
            )
    read = _input_at(output, inputs or {})
    if read is not None:
        option, given = read
        return PipereviewError(
            f"{output}: is the {option} input of this run ({given}); refusing to overwrite it",
            hint="choose another --output",
        )
    if not force and target.is_file() and target.stat().st_size > 0:  # never open a FIFO
        try:
            with target.open("rb") as f:
                old = kind_of(f.read(1024))
        except OSError as exc:
            return PipereviewError(f"{output}: cannot read ({exc.strerror})")
        names = {_expected(output), _expected(target)}
        if old != kind and not ({old, kind} <= {"text", "JSON"} and names == {"text"}):
            via = f" (through {target})" if output.is_symlink() else ""
            return PipereviewError(
                f"{output}: exists and holds {old}{via}, not {kind}; refusing to overwrite it",
                hint="remove it or choose another --output",
            )
    return None


def _input_at(output: Path, inputs: Mapping[str, object]) -> tuple[str, object] | None:
    """The (option, value) of an input that is the same file as ``output``, if any."""
    if not output.exists():
        return None
    for option, given in inputs.items():
        for path in _files(given):
            try:
                if path.exists() and os.path.samefile(output, path):
                    return option, given
            except OSError:
                continue
    return None


def _files(given: object) -> list[Path]:
    """The local files an input option's value may name: a path, ``book.xlsx#Sheet``'s
    workbook, a ``duckdb://`` or ``sqlite://`` URL's file (a server URL names none)."""
    if given is None:
        return []
    text = str(given)
    scheme, sep, rest = text.partition("://")
    if sep:
        if scheme.lower() not in ("duckdb", "sqlite") or not rest:
            return []
        text = rest
    path = Path(text)
    name, sep, _ = path.name.rpartition("#")
    return [path, path.with_name(name)] if sep and name else [path]


def folder_refusal(out: Path, names: tuple[str, ...], force: bool) -> PipereviewError | None:
    """Why a command that fills the folder ``out`` with the files ``names`` (``demo``) may
    not: ``out`` is not a folder, or, unless ``force``, it holds anything (the error lists
    which of ``names`` would be overwritten). The folder may be new: it is made then."""
    if out.exists() and not out.is_dir():
        return PipereviewError(f"{out}: is not a folder", hint="name a new or empty folder")
    if force or not out.is_dir():
        return None
    found = {entry.name for entry in out.iterdir()}
    if not found:
        return None
    clashing = [name for name in names if name in found]
    others = len(found) - len(clashing)
    said = f": {', '.join(clashing)} would be overwritten" if clashing else ""
    if others:
        said += f" ({'and ' if clashing else ''}{others} other file(s))"
    return PipereviewError(
        f"{out}: is not empty{said}",
        hint="name a new or empty folder, or pass --force to write there anyway",
    )


def _suffix(kind: str) -> str:
    return {"PDF": ".pdf", "HTML": ".html", "JSON": ".json"}.get(kind, ".txt")


def write_output(
    content: str | bytes,
    output: Path | None,
    inputs: Mapping[str, object] | None = None,
    force: bool = False,
) -> Path | None:
    """Write ``content`` to ``output``, or to stdout when it is None. PDF is not written to
    a terminal. Raises PipereviewError with the reason and the fix (``refusal``)."""
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
    refused = refusal(output, kind_of(content), inputs, force)
    if refused is not None:
        raise refused
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
