"""Markdown that shows what it is given: text from the input (ids, names, stages, a user
rule's sentence) is escaped, so ``<script>``, ``<img onerror=…>``, ``**bold**`` or
``[a](link)`` in a deal id reads as those characters, never as markup.

HTML's ``<``, ``>`` and ``&`` become entities; Markdown's inline syntax (``\\ ` * _ [ ] | ~``)
gets a backslash, and so does a bare URL's ``://`` or ``www.`` (GitHub would link it). What
only means something at the start of a line (``#``, ``-``, ``1.``) is
left: input text is never put at the start of a line. Whitespace (a newline in a name)
becomes one space.
"""

from __future__ import annotations

import re
from typing import Any

_INLINE = re.compile(r"([\\`*_\[\]|~])")
_AUTOLINK = re.compile(r"(?i)(://|www\.)")  # GitHub links bare URLs: break the pattern
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md(value: Any) -> str:
    """``value`` as Markdown text that renders as exactly its characters."""
    flat = " ".join(str(value).split())
    flat = re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], flat)
    escaped = _INLINE.sub(r"\\\1", flat)
    return _AUTOLINK.sub(lambda m: m.group().replace("/", "\\/").replace(".", "\\."), escaped)


def md_table(
    headers: list[str],
    rows: list[list[Any]],
    right_from: int | None = None,
    right: tuple[int, ...] = (),
) -> list[str]:
    """A Markdown table, every cell escaped; columns from ``right_from`` on, and those in
    ``right``, are right-aligned."""
    marks = [
        "---:" if (right_from is not None and i >= right_from) or i in right else "---"
        for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(md(h) for h in headers) + " |", "|" + "|".join(marks) + "|"]
    return lines + ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
