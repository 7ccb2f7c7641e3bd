"""Look at a text file's first bytes before the engine reads it: what it is, how it is encoded,
which separator it uses, and whether its header names are usable.

Only the head of the file is read (and, for a file that is not UTF-8, the whole file once, to
write a UTF-8 copy the engine can read). Every refusal is an ``InputError`` that names the file
and says what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipereview.errors import InputError
from pipereview.names import column_key

HEAD_BYTES = 1 << 16
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Signatures of files that are not text, and what to do with them.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x1f\x8b", "a gzip archive", "unzip it first"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx is one)", "export the sheet as CSV"),
    (b"\x89PNG", "a PNG image", "point --deals/--reps at the exported data"),
    (b"%PDF", "a PDF document", "export the data as CSV"),
    (b"PAR1", "a Parquet file", "name it .parquet"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) workbook", "export the sheet as CSV"),
)


@dataclass
class TextFile:
    """A text file as the engine should read it."""

    path: Path  # the file to read: the original, or a UTF-8 copy
    delimiter: str = ","
    notes: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    _scratch: tempfile.TemporaryDirectory[str] | None = None


def check_header(names: list[str], source: str) -> None:
    """Refuse two columns that mean the same (``deal_id`` and `` Deal ID``)."""
    seen: dict[str, str] = {}
    for name in names:
        key = column_key(name)
        if key in seen:
            raise InputError(
                f"columns {seen[key]!r} and {name!r} are the same column",
                source=source,
                column=key,
                hint="remove or rename one of them",
            )
        seen[key] = name


def _refuse_binary(head: bytes, source: str) -> None:
    for signature, what, fix in SIGNATURES:
        if head.startswith(signature):
            raise InputError(f"is {what}, not a text file", source=source, hint=fix)
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            "is a binary file, not text", source=source, hint="export the data as UTF-8 CSV"
        )


def _decodes(data: bytes, encoding: str, final: bool) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_copy(path: Path, encoding: str, scratch: tempfile.TemporaryDirectory[str]) -> Path:
    """Write ``path`` decoded from ``encoding`` as UTF-8, in one streaming pass (raises
    UnicodeDecodeError when a byte is not in ``encoding``)."""
    target = Path(scratch.name) / ("utf8" + path.suffix.lower())
    with (
        path.open("r", encoding=encoding, newline="") as src,
        target.open("w", encoding="utf-8", newline="") as dst,
    ):
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return target


def _is_utf8(path: Path) -> tuple[bool, int]:
    """Whether the whole file is UTF-8, and the offset of the first bad byte if not."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                return False, offset + err.start
            offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, offset
    return True, -1


def _refuse_mixed(path: Path, source: str) -> None:
    """A file that is not UTF-8 is read as Windows-1252; but when some of its lines are
    UTF-8 (with non-ASCII text) and others are not, either reading garbles a part: refuse,
    naming a line of each (decisions D38)."""
    utf8_line = bad_line = None
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                bad_line = bad_line or number
            else:
                utf8_line = utf8_line or number
            if utf8_line and bad_line:
                raise InputError(
                    f"is not UTF-8 (Windows-1252?) while line {utf8_line} is: the file "
                    "mixes encodings",
                    source=source,
                    line=bad_line,
                    hint="re-export the file as UTF-8, or fix the line that is not",
                )


def open_text(path: Path, kind: str, *, whole: bool = False) -> TextFile:
    """Check a CSV/TSV/JSON file and say how to read it. ``whole``: check the encoding of the
    whole file, not only its head (the engine refused it, so look further)."""
    source = str(path)
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    _refuse_binary(head, source)
    text_file = TextFile(path)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            "is UTF-16 text", source=source, hint="save it as UTF-8 (Excel: CSV UTF-8)"
        )
    utf8 = _decodes(head, "utf-8", final=len(head) < HEAD_BYTES)
    bad_at = -1
    if utf8 and whole:
        utf8, bad_at = _is_utf8(path)
    if not utf8:
        _refuse_mixed(path, source)
        text_file._scratch = tempfile.TemporaryDirectory(prefix="pipereview-")
        try:
            text_file.path = _utf8_copy(path, "cp1252", text_file._scratch)
        except UnicodeDecodeError:
            text_file._scratch.cleanup()
            raise InputError(
                f"is neither UTF-8 nor Windows-1252 text (byte {max(bad_at, 0)})",
                source=source,
                hint="re-export the file as UTF-8",
            ) from None
        text_file.notes.append("read as Windows-1252 (it is not UTF-8)")
        head = text_file.path.read_bytes()[:HEAD_BYTES]
    if kind in ("csv", "tsv"):
        text = head.decode("utf-8", errors="ignore").removeprefix("\ufeff")
        first = text.splitlines()[0] if text else ""
        text_file.delimiter = _separator(first, "\t" if kind == "tsv" else ",")
        if text_file.delimiter not in (",", "\t") or (kind == "csv" and text_file.delimiter != ","):
            name = SEPARATORS[text_file.delimiter]
            text_file.notes.append(f"separated by {name}s ({text_file.delimiter!r})")
        text_file.header = next(csv.reader(io.StringIO(first), delimiter=text_file.delimiter), [])
        check_header(text_file.header, source)
    return text_file


def _separator(header: str, default: str) -> str:
    """The default separator, unless the header line has none of it and another one."""
    if default in header:
        return default
    counts = {sep: header.count(sep) for sep in SEPARATORS if sep != default}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else default
