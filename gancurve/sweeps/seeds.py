"""``--seeds``: which seeds a sweep trains, and how its members are named."""

from __future__ import annotations

import re
from collections.abc import Sequence

from gancurve.core.config import SEED_MAX
from gancurve.errors import UsageError

#: The most members one sweep trains (about 0.5 MB of memory each, with their logs).
MEMBERS_MAX = 10_000
_ITEM = re.compile(r"([0-9]+)(?:-([0-9]+))?")  # ASCII digits: "²" is a digit to str.isdigit, not to int


def parse_seeds(spec: str) -> tuple[int, ...]:
    """Seeds from ``1-100``, ``1-20,37,99`` or a bare ``N`` (meaning 1..N), in the order given.

    The count is checked before any list is built, so ``--seeds 4294967296`` is refused at once
    (not after filling the memory). Raises :class:`UsageError` with a sentence the user can act on.
    """
    text = spec.replace(" ", "")
    if not text:
        raise UsageError("--seeds is empty; give a count (100), a range (1-100) or a list (1-20,37,99).")
    if text.isascii() and text.isdigit():
        if len(text.lstrip("0")) > len(str(SEED_MAX)):  # (not read with int(): it may be huge)
            raise UsageError(
                f"--seeds asks for {_shortened(text)} seeds; a sweep trains at most {MEMBERS_MAX:,}."
            )
        count = int(text)
        if count < 1:
            raise UsageError("--seeds 0 trains nothing; give a count of at least 1.")
        check_seed_count(count)
        return check_seeds(range(1, count + 1))
    ranges: list[range] = []
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise UsageError(
                f"--seeds: {item!r} is not a seed or a range; write e.g. 1-20,37,99 (whole numbers ≥ 0)."
            )
        first, last = _whole(match[1]), _whole(match[2] or match[1])
        if last < first:
            raise UsageError(f"--seeds: the range {item} runs backwards; write {last}-{first}.")
        if last - first + 1 > MEMBERS_MAX:
            raise UsageError(f"--seeds: {item} is more than {MEMBERS_MAX:,} seeds.")
        ranges.append(range(first, last + 1))
        check_seed_count(sum(map(len, ranges)))  # before the next item: 1-9999,1-9999,… stays small
    return check_seeds([seed for seeds in ranges for seed in seeds])


def _whole(digits: str) -> int:
    """A run of digits as a number; one too long to be a seed is refused before Python reads it
    (``int`` of 4,300 digits and more fails, and every count past ``MEMBERS_MAX`` is refused anyway)."""
    if len(digits.lstrip("0")) > len(str(SEED_MAX)):
        raise UsageError(f"--seeds: {_shortened(digits)} is larger than the largest seed, 2**63 - 1.")
    return int(digits)


def _shortened(digits: str) -> str:
    return digits if len(digits) <= 24 else f"{digits[:12]}…({len(digits)} digits)"


def check_seed_count(count: int, source: str = "--seeds") -> None:
    """Refuse more seeds than one sweep trains; call it before building a list of ``count`` seeds.

    ``source`` names where the seeds came from in the message (``--seeds``, or a sweep.json).
    """
    if count > MEMBERS_MAX:
        raise UsageError(f"{source} asks for {count:,} seeds; a sweep trains at most {MEMBERS_MAX:,}.")


def check_seeds(seeds: Sequence[object], source: str = "--seeds") -> tuple[int, ...]:
    """The seeds as a sweep may train them: at most ``MEMBERS_MAX``, whole numbers from 0 to
    ``SEED_MAX``, each once. ``parse_seeds`` uses it on ``--seeds``; it also suits seeds read back
    from disk (``source`` names the file in the message). Raises :class:`UsageError`.
    """
    check_seed_count(len(seeds), source)  # first: the checks below walk the seeds
    if not seeds:
        raise UsageError(f"{source} names no seed; a sweep trains at least one.")
    seen: set[int] = set()
    for seed in seeds:
        if type(seed) is not int or seed < 0:  # (bool is an int, but not a seed)
            raise UsageError(f"{source} names {seed!r}, which is not a seed (a whole number ≥ 0).")
        if seed > SEED_MAX:
            raise UsageError(f"{source} names {seed}, larger than the largest seed, 2**63 - 1.")
        if seed in seen:
            raise UsageError(f"{source} names seed {seed} twice; each seed trains once.")
        seen.add(seed)
    return tuple(seeds)  # type: ignore[arg-type]  # (every item checked to be an int above)


def describe(seeds: tuple[int, ...]) -> str:
    """Seeds written back compactly: ``1-20,37,99``."""
    parts: list[str] = []
    start = previous = seeds[0]
    for seed in (*seeds[1:], None):
        if seed is not None and seed == previous + 1:
            previous = seed
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if seed is not None:
            start = previous = seed
    return ",".join(parts)
