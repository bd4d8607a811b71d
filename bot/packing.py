"""Embeds into the fewest Discord messages: exact bin packing under a count and a size limit.

Why not next-fit in rank order: packing contiguous runs wastes the end of a message whenever the next
embed is bigger than the room left, and a 36-paper day took 9 messages where 8 hold it. Bin packing is
NP-hard in general, but here a message holds a few embeds of ~1,000–2,000 characters in 6,000, which
is where *bin completion* (Korf, 2002) is at its best: fill one message at a time around the largest
item left, trying only completions no swap could improve, and cut a branch as soon as the room wasted
so far, or a lower bound on what is left, rules it out. Most real days are settled in a few thousand
steps, the hardest sample day in about 60,000.

Every search has a step budget (counted, not timed, so a result never depends on the machine). When
it runs out, the best packing found so far is used and :attr:`Packing.optimal` says so.

Reading order. Among the packings with the fewest messages we want the one read closest to the
ranking: messages ordered by their best-ranked paper, papers by rank inside a message, and as few
*inversions* (pairs of papers read in the wrong order) as the budget can find. When next-fit in rank
order already needs no more messages, it is the answer (no inversions at all).

Pure functions on sizes; :mod:`bot.render` turns embeds into sizes and groups back into payloads.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

#: Steps for finding the fewest messages (half at most for the lower bound); the hardest sample day
#: needs about 60,000, and 200,000 take about half a second.
DEFAULT_BUDGET = 200_000
#: Steps for ordering the messages once their count is known (then the best order found is kept).
ORDER_BUDGET = 30_000
#: Steps for each "does the rest still fit?" question the order search asks.
FIT_STEPS = 2_000
#: Days beyond this many items (real ones have 10–150) get first-fit decreasing, not the exact search,
#: so the search's recursion stays well inside Python's limit.
MAX_EXACT = 200


@dataclass(frozen=True, slots=True)
class Packing:
    """Messages as tuples of item indexes, in reading order; each tuple ascending (rank order)."""

    groups: tuple[tuple[int, ...], ...]
    lower_bound: int  # no packing can use fewer messages than this
    optimal: bool  # proven: no packing uses fewer messages than ``len(groups)``
    inversions: int  # pairs of items read in the opposite order to their indexes
    least_inversions: bool  # proven: no packing with as few messages has fewer inversions


class _OutOfBudget(Exception):
    pass


_UNDECIDED: list[list[int]] = []  # a search that ran out of steps (compared by identity)


def lower_bound(sizes: Sequence[int], max_chars: int, max_count: int) -> int:
    """The largest of: the count limit (or fewer, when even the smallest items fill a message sooner),
    the total size, and Martello and Toth's L2 bound.

    L2, for each threshold t ≤ C/2: items over C−t each need their own message; items in (C/2, C−t]
    need one each as well (no two share one), and items in [t, C/2] can only use what those leave free.
    """
    if not sizes:
        return 0
    s = sorted(sizes)
    prefix = [0]
    for x in s:
        prefix.append(prefix[-1] + x)
    # No message holds more items than the smallest ones that fit together.
    most = max(1, min(max_count, bisect_right(prefix, max_chars) - 1))
    best = max(math.ceil(len(s) / most), math.ceil(prefix[-1] / max_chars))
    half = max_chars / 2
    if s[-1] <= half:
        return best  # every threshold gives the total-size bound again
    n, over_half = len(s), bisect_right(s, half)  # s[over_half:] are the items over C/2
    for t in {0, *s[:over_half]}:
        top = bisect_right(s, max_chars - t)  # s[top:] are over C−t
        mid_count = max(0, top - over_half)
        mid_free = mid_count * max_chars - (prefix[top] - prefix[over_half]) if mid_count else 0
        small = prefix[over_half] - prefix[bisect_left(s, t)]
        best = max(best, (n - top) + mid_count + max(0, math.ceil((small - mid_free) / max_chars)))
    return best


def next_fit(sizes: Sequence[int], max_chars: int, max_count: int) -> list[list[int]]:
    """Contiguous runs in index order: a new message whenever the next item does not fit."""
    groups: list[list[int]] = []
    load = 0
    for i, s in enumerate(sizes):
        if not groups or len(groups[-1]) >= max_count or load + s > max_chars:
            groups.append([])
            load = 0
        groups[-1].append(i)
        load += s
    return groups


def first_fit_decreasing(sizes: Sequence[int], max_chars: int, max_count: int) -> list[list[int]]:
    """Largest first, each into the first message with room: quick, and on real days mostly optimal."""
    groups: list[list[int]] = []
    loads: list[int] = []
    for i in sorted(range(len(sizes)), key=lambda i: (-sizes[i], i)):
        for b, load in enumerate(loads):
            if load + sizes[i] <= max_chars and len(groups[b]) < max_count:
                groups[b].append(i)
                loads[b] += sizes[i]
                break
        else:
            groups.append([i])
            loads.append(sizes[i])
    return groups


def inversions(groups: Sequence[Sequence[int]]) -> int:
    """Pairs (a < b) that the reading order (groups in order, each group ascending) shows b before a."""
    seen: list[int] = []
    count = 0
    for g in groups:
        for i in sorted(g):
            count += sum(1 for j in seen if j > i)
        seen.extend(g)
    return count


def reading_order(groups: Sequence[Sequence[int]]) -> list[list[int]]:
    """Each group ascending, groups by their smallest index (the best-ranked paper leads)."""
    return sorted((sorted(g) for g in groups if g), key=lambda g: g[0])


class _Packer:
    """One instance: the sizes, the limits, a step budget, and what is known not to fit."""

    def __init__(self, sizes: Sequence[int], max_chars: int, max_count: int, budget: int) -> None:
        self.size = list(sizes)
        self.cap, self.limit = max_chars, max_count
        self.steps = budget
        self.no: set[tuple[int, int]] = set()  # (items as a bit mask, messages): proven impossible
        self.known: dict[tuple[int, int], bool] = {}  # what :meth:`fits` answered
        self.unsure = False  # some "no" from :meth:`fits` was a search cut short

    def _step(self, items: int = 0) -> None:
        """Count one step, more for work that grows with the ``items`` it looks at (a lower bound, a
        first-fit pass), so that steps stay roughly proportional to time however big the day."""
        self.steps -= 1 + items // 32
        if self.steps < 0:
            raise _OutOfBudget

    # ── fewest messages: bin completion ──────────────────────────────────────────────────────────

    def fits(self, items: Sequence[int], k: int) -> bool:
        """Whether ``items`` surely go in ``k`` messages: the lower bound, first-fit decreasing, then the
        exact search with at most :data:`FIT_STEPS` steps; a search cut short counts as "no", which only
        costs the order search an option (it never makes a packing wrong)."""
        key = (sum(1 << i for i in items), k)
        if key not in self.known:
            self._step(len(items))
            sizes = [self.size[i] for i in items]
            if lower_bound(sizes, self.cap, self.limit) > k:
                self.known[key] = False
            elif len(first_fit_decreasing(sizes, self.cap, self.limit)) <= k:
                self.known[key] = True
            else:
                total, self.steps = self.steps, min(self.steps, FIT_STEPS)
                try:
                    self.known[key] = self.fit(items, k) is not None
                except _OutOfBudget:
                    if total <= FIT_STEPS:
                        raise
                    self.known[key], self.unsure = False, True
                finally:
                    self.steps = total - (min(total, FIT_STEPS) - self.steps)
        return self.known[key]

    def attempt(self, items: Sequence[int], k: int, share: float = 1.0) -> list[list[int]] | None:
        """:meth:`fit` with at most ``share`` of the steps left: its packing, None (impossible), or
        :data:`_UNDECIDED` when the steps ran out first."""
        total = self.steps
        self.steps = int(total * share)
        try:
            return self.fit(items, k)
        except _OutOfBudget:
            return _UNDECIDED
        finally:
            self.steps = total - (int(total * share) - max(self.steps, 0))

    def fit(self, items: Sequence[int], k: int) -> list[list[int]] | None:
        """``items`` in ``k`` messages, or None when that is impossible (raises when out of budget)."""
        rest = sorted(items, key=lambda i: (-self.size[i], i))
        return self._fit(rest, sum(1 << i for i in rest), k)

    def _fit(self, rest: list[int], mask: int, k: int) -> list[list[int]] | None:
        if not rest:
            return []
        if (mask, k) in self.no:
            return None
        self._step(len(rest))
        sizes = [self.size[i] for i in rest]
        if k <= 0 or lower_bound(sizes, self.cap, self.limit) > k:
            self.no.add((mask, k))
            return None
        x, others = rest[0], rest[1:]
        slack = k * self.cap - sum(sizes)  # room that may stay empty across the k messages
        free = self.cap - self.size[x]
        for chosen in self._completions(others, free, self.limit - 1, free - slack):
            picked = {others[q] for q in chosen}
            left = [i for i in others if i not in picked]
            found = self._fit(left, mask & ~(1 << x) & ~sum(1 << i for i in picked), k - 1)
            if found is not None:
                return [[x, *picked], *found]
        self.no.add((mask, k))
        return None

    def _completions(self, items: list[int], free: int, room: int, need: int) -> Iterator[list[int]]:
        """Positions in ``items`` (largest first) to join the largest item: ≤ ``room`` of them, total in
        [``need``, ``free``], and undominated: no item left out could be added, or swapped for a smaller
        chosen one, and still fit. Some optimal packing uses only such completions, so no other is tried.
        Fuller completions come first; of equal sizes only the first ones are chosen (no twins).
        """
        size = [self.size[i] for i in items]
        prefix = [0]
        for s in size:
            prefix.append(prefix[-1] + s)
        smallest = [0]  # smallest[r]: the r smallest items together
        for s in reversed(size):
            smallest.append(smallest[-1] + s)
        chosen: list[int] = []

        def grow(start: int, load: int) -> Iterator[list[int]]:
            self._step()
            # At most ``fit`` more items can join: even the smallest ones fill the room by then.
            fit = min(room - len(chosen), bisect_right(smallest, free - load) - 1)
            if fit > 0:
                for q in range(start, len(items)):
                    if load + size[q] > free or (q > start and size[q] == size[q - 1]):
                        continue
                    if load + prefix[min(len(items), q + fit)] - prefix[q] < need:
                        break  # even the largest items still available cannot reach ``need``
                    chosen.append(q)
                    yield from grow(q + 1, load + size[q])
                    chosen.pop()
            if load >= need and self._undominated(size, chosen, free - load, room):
                yield list(chosen)

        yield from grow(0, 0)

    @staticmethod
    def _undominated(size: list[int], chosen: list[int], left: int, room: int) -> bool:
        picked = set(chosen)
        out = [q for q in range(len(size)) if q not in picked]
        if len(chosen) < room and out and size[out[-1]] <= left:
            return False  # the smallest item left out still fits: adding it is at least as good
        for q in chosen:
            bigger = [size[o] for o in out if o < q and size[o] > size[q]]
            if bigger and bigger[-1] <= size[q] + left:
                return False  # swapping in the next larger item left out fits and fills more
        return True

    # ── reading order: fewest inversions for a given number of messages ──────────────────────────

    def order(self, k: int, start: list[list[int]]) -> tuple[list[list[int]], bool]:
        """The ``k``-message packing with the fewest inversions found within the budget (``start`` at
        worst). Messages are built in reading order: each holds the best-ranked paper left, plus a set
        chosen nearest-first; skipping a paper costs one inversion per later paper taken past it."""
        best = {"cost": inversions(start), "groups": start}
        groups: list[list[int]] = []

        def build(rest: list[int], k: int, cost: int) -> bool:
            run = next_fit([self.size[i] for i in rest], self.cap, self.limit)
            if len(run) <= k:  # the rest in rank order adds no inversion: nothing below beats this
                best["cost"], best["groups"] = cost, [*map(list, groups), *([rest[q] for q in g] for g in run)]
                return cost == 0  # nothing beats no inversions: stop
            if cost + 1 >= best["cost"]:
                return False  # the rest needs at least one inversion
            f, others = rest[0], rest[1:]
            free = self.cap - self.size[f]
            slack = k * self.cap - sum(self.size[i] for i in rest)
            low, high = 0, 1
            while low < best["cost"] - cost:  # cheaper messages first: costs in [low, high), then double
                high = min(high, best["cost"] - cost)
                options = sorted((o for o in self._in_order(others, free, free - slack, high) if o[1] >= low),
                                 key=lambda option: option[1])
                for chosen, extra in options:
                    if cost + extra >= best["cost"]:
                        break
                    picked = [others[q] for q in chosen]
                    taken = set(picked)
                    left = [i for i in others if i not in taken]
                    if not self.fits(left, k - 1):
                        continue
                    groups.append([f, *picked])
                    if build(left, k - 1, cost + extra):
                        return True
                    groups.pop()
                low, high = high, 2 * high
            return False

        try:
            build(sorted(i for g in start for i in g), k, 0)
        except _OutOfBudget:
            return best["groups"], False  # the best found so far
        return best["groups"], not self.unsure

    def _in_order(self, items: list[int], free: int, need: int, under: int) -> Iterator[tuple[list[int], int]]:
        """(positions, cost) of item sets for the rest of a message in ``items`` (rank order): total in
        [``need``, ``free``], ≤ limit − 1 items, cost (papers skipped, counted per later paper taken)
        below ``under``. The nearest papers are tried first, so the contiguous run comes first."""
        chosen: list[int] = []

        def grow(start: int, load: int, cost: int) -> Iterator[tuple[list[int], int]]:
            self._step()
            if len(chosen) < self.limit - 1:
                for q in range(start, len(items)):
                    extra = q - len(chosen)  # papers skipped so far, each now read after this one
                    if cost + extra >= under:
                        break
                    if load + self.size[items[q]] <= free:
                        chosen.append(q)
                        yield from grow(q + 1, load + self.size[items[q]], cost + extra)
                        chosen.pop()
            if load >= need:
                yield list(chosen), cost

        yield from grow(0, 0, 0)


def pack(sizes: Sequence[int], *, max_chars: int, max_count: int, budget: int = DEFAULT_BUDGET,
         order_budget: int = ORDER_BUDGET) -> Packing:
    """The fewest messages for items of ``sizes`` (each message ≤ ``max_count`` items, ≤ ``max_chars``).

    The lower bound is tried first (real days mostly meet it); failing that, counts from the better of
    next-fit and first-fit decreasing downwards, until one is proven impossible (then the last that
    fitted is the minimum). ``budget`` steps cover all of that; ``order_budget`` steps then look for the
    reading order with the fewest inversions.
    """
    if any(s > max_chars for s in sizes):
        raise ValueError(f"an item of {max(sizes)} characters can never fit a message (limit {max_chars})")
    bound = lower_bound(sizes, max_chars, max_count)
    best = next_fit(sizes, max_chars, max_count)
    if len(best) == bound:
        return Packing(tuple(map(tuple, best)), bound, True, 0, True)
    quick = reading_order(first_fit_decreasing(sizes, max_chars, max_count))
    best = quick if len(quick) < len(best) else best
    if len(sizes) > MAX_EXACT:
        best = reading_order(best)
        gone = inversions(best)
        return Packing(tuple(map(tuple, best)), bound, len(best) == bound, gone, gone == 0)
    if len(best) == bound:
        proven = True
    else:
        packer = _Packer(sizes, max_chars, max_count, budget)
        everything = range(len(sizes))
        at_bound = packer.attempt(everything, bound, share=0.5)
        proven = at_bound is not _UNDECIDED and at_bound is not None
        if proven:
            best = at_bound
        else:
            for k in range(len(best) - 1, bound, -1):
                found = packer.attempt(everything, k)
                if found is _UNDECIDED or found is None:
                    proven = found is None
                    break
                best = found
            else:
                proven = at_bound is None
    best = reading_order(best)
    if inversions(best) == 0:  # next-fit's contiguous runs: nothing reads closer to the ranking
        return Packing(tuple(map(tuple, best)), bound, proven, 0, True)
    best, ordered = _Packer(sizes, max_chars, max_count, order_budget).order(len(best), best)
    return Packing(tuple(map(tuple, best)), bound, proven, inversions(best), ordered)
