"""``--seeds``: which seeds a sweep trains, and how its members are named."""

from __future__ import annotations

import re

from gancurve.core.config import SEED_MAX
from gancurve.errors import UsageError
from gancurve.store.sweeps import MEMBERS_MAX, check_seed_count, check_seeds

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
