"""The management hierarchy: who rolls up to whom, from the reps' ``manager_id``.

A manager is anyone some rep names as ``manager_id`` (a rep of the input, or an id that is
only ever named, which then has no record and no manager of its own). A rep rolls up to its
manager, that manager's manager and so on to the top, so a second-line manager sees the sum
of every team below. A rep naming itself as its manager has none; a blank ``manager_id`` is
none. A longer loop (A manages B, B manages A) leaves no hierarchy at all: the loops are
named (data quality ``manager_loop``) and there is no manager roll-up.

Everything here is linear in the number of reps, however deep the chain: each id is visited
once to find loops, and once in a depth-first walk that numbers the ids so that everyone
under a manager holds a contiguous run of numbers (``spans``). A roll-up is then a
difference of two running sums (``metrics.forecast.subtree_rollup``), never the
rep-by-every-manager-above-it pairs, which a chain of n managers makes n²/2 of.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

MANAGER_LOOP = "manager_loop"  # the data-quality check naming loops


@dataclass(frozen=True)
class Hierarchy:
    """``managers``: each manager id with its own manager (None at the top), sorted;
    ``order``: every id of the hierarchy (each rep and each manager) in depth-first order
    (a manager before the ids under it; siblings and tops by id); ``spans``: each manager's
    first and last index in ``order``: the manager itself and everyone under it, so its own
    deals count in its row whether or not it has a rep record; ``loops``: each loop as the
    ids around it, the first repeated at the end (A, B, A). With a loop, ``managers``,
    ``order`` and ``spans`` are empty."""

    managers: dict[str, str | None]
    order: list[str] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    loops: list[tuple[str, ...]] = field(default_factory=list)

    def loop_text(self) -> list[str]:
        """Each loop as "A -> B -> A"."""
        return [" -> ".join(loop) for loop in self.loops]

    def under(self, manager: str) -> list[str]:
        """The manager and every id under it, at any depth."""
        first, last = self.spans[manager]
        return self.order[first : last + 1]


def manager_of(rep_id: str, manager_id: str | None) -> str | None:
    """A rep's manager id, trimmed: none for a blank id or the rep's own."""
    manager = None if manager_id is None else manager_id.strip()
    return None if not manager or manager == rep_id else manager


def hierarchy(edges: Iterable[tuple[str, str | None]]) -> Hierarchy:
    """The hierarchy of ``edges`` (rep_id, manager_id), one per rep."""
    boss = {rep: manager_of(rep, manager) for rep, manager in edges}
    managers = sorted({m for m in boss.values() if m is not None})
    loops = _loops(boss)
    if loops:
        return Hierarchy({}, loops=loops)
    order, spans = _walk(boss, managers)
    return Hierarchy({m: boss.get(m) for m in managers}, order, spans)


def _loops(boss: dict[str, str | None]) -> list[tuple[str, ...]]:
    """Every loop of ``boss``, each id followed up the chain once (ids whose chain is known
    to end at a top, or in a loop, are not followed again)."""
    done: set[str] = set()
    loops: set[tuple[str, ...]] = set()
    for rep in sorted(boss):
        chain: dict[str, int] = {}  # the ids of this walk, with their place in it
        above: str | None = rep
        while above is not None and above not in done:
            if above in chain:
                loop = list(chain)[chain[above] :]
                start = loop.index(min(loop))  # the same loop from any rep: smallest id first
                loops.add((*loop[start:], *loop[:start], min(loop)))
                break
            chain[above] = len(chain)
            above = boss.get(above)
        done.update(chain)
    return sorted(loops)


def _walk(
    boss: dict[str, str | None], managers: list[str]
) -> tuple[list[str], dict[str, tuple[int, int]]]:
    """Depth-first order of every id (tops by id, each manager's reports by id) and each
    manager's span in it; iterative, so a chain of any depth is fine."""
    below: dict[str, list[str]] = {}
    for rep in sorted(boss):
        if boss[rep] is not None:
            below.setdefault(boss[rep], []).append(rep)  # type: ignore[arg-type]
    ids = sorted(set(boss) | set(managers))
    tops = [i for i in ids if boss.get(i) is None]
    order: list[str] = []
    first: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    stack: list[tuple[str, bool]] = [(top, False) for top in reversed(tops)]
    while stack:
        node, finished = stack.pop()
        if finished:
            spans[node] = (first[node], len(order) - 1)
            continue
        first[node] = len(order)
        order.append(node)
        if node in below:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(below[node]))
    return order, spans
