"""The management hierarchy: who rolls up to whom, from the reps' ``manager_id``.

A manager is anyone some rep names as ``manager_id`` (a rep of the input, or an id that is
only ever named, which then has no record and no manager of its own). A rep rolls up to its
manager, that manager's manager and so on to the top, so a second-line manager sees the sum
of every team below. A rep naming itself as its manager has none; a blank ``manager_id`` is
none. A longer loop (A manages B, B manages A) leaves no hierarchy at all: the loops are
named (data quality ``manager_loop``) and there is no manager roll-up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MANAGER_LOOP = "manager_loop"  # the data-quality check naming loops


@dataclass(frozen=True)
class Hierarchy:
    """``managers``: each manager id with its own manager (None at the top), sorted;
    ``pairs``: (rep_id, manager_id) for every manager a rep rolls up to, and each manager
    with itself (its own deals count in its row, whether or not it has a rep record);
    ``loops``: each loop as the ids around it, the first repeated at the end (A, B, A).
    With a loop, ``managers`` and ``pairs`` are empty."""

    managers: dict[str, str | None]
    pairs: list[tuple[str, str]]
    loops: list[tuple[str, ...]] = field(default_factory=list)

    def loop_text(self) -> list[str]:
        """Each loop as "A -> B -> A"."""
        return [" -> ".join(loop) for loop in self.loops]


def manager_of(rep_id: str, manager_id: str | None) -> str | None:
    """A rep's manager id, trimmed: none for a blank id or the rep's own."""
    manager = None if manager_id is None else manager_id.strip()
    return None if not manager or manager == rep_id else manager


def hierarchy(edges: Iterable[tuple[str, str | None]]) -> Hierarchy:
    """The hierarchy of ``edges`` (rep_id, manager_id), one per rep."""
    boss = {rep: manager_of(rep, manager) for rep, manager in edges}
    managers = sorted({m for m in boss.values() if m is not None})
    pairs: list[tuple[str, str]] = [(m, m) for m in managers]
    loops: set[tuple[str, ...]] = set()
    for rep in sorted(boss):
        chain: list[str] = [rep]
        above = boss[rep]
        while above is not None:
            if above in chain:
                loop = chain[chain.index(above) :]
                start = loop.index(min(loop))  # the same loop from any rep: smallest id first
                loops.add((*loop[start:], *loop[:start], min(loop)))
                break
            pairs.append((rep, above))
            chain.append(above)
            above = boss.get(above)
    if loops:
        return Hierarchy({}, [], sorted(loops))
    return Hierarchy({m: boss.get(m) for m in managers}, sorted(pairs))
