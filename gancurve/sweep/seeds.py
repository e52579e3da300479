"""``--seeds``: which seeds a sweep trains, and how its members are named."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from gancurve.core.config import SEED_MAX
from gancurve.errors import UsageError

#: The most members one sweep trains (about 0.5 MB of memory each, with their logs).
MEMBERS_MAX = 10_000
#: A member's directory name: ``seed-`` and the seed, zero-padded to three digits so that a
#: listing sorts in seed order up to 999 (``seed-037``); ``seed-37`` is accepted when reading.
MEMBER_PATTERN = re.compile(r"seed-0*(\d+)")
_ITEM = re.compile(r"(\d+)(?:-(\d+))?")


def parse_seeds(spec: str) -> tuple[int, ...]:
    """Seeds from ``1-100``, ``1-20,37,99`` or a bare ``N`` (meaning 1..N), in the order given.

    Raises :class:`UsageError` with a sentence the user can act on.
    """
    text = spec.replace(" ", "")
    if not text:
        raise UsageError("--seeds is empty; give a count (100), a range (1-100) or a list (1-20,37,99).")
    if text.isdigit():
        count = int(text)
        if count < 1:
            raise UsageError("--seeds 0 trains nothing; give a count of at least 1.")
        return _checked(list(range(1, count + 1)))
    seeds: list[int] = []
    for item in text.split(","):
        match = _ITEM.fullmatch(item)
        if match is None:
            raise UsageError(
                f"--seeds: {item!r} is not a seed or a range; write e.g. 1-20,37,99 (whole numbers ≥ 0)."
            )
        first, last = int(match[1]), int(match[2] or match[1])
        if last < first:
            raise UsageError(f"--seeds: the range {item} runs backwards; write {last}-{first}.")
        if last - first + 1 > MEMBERS_MAX:
            raise UsageError(f"--seeds: {item} is more than {MEMBERS_MAX:,} seeds.")
        seeds.extend(range(first, last + 1))
    return _checked(seeds)


def _checked(seeds: list[int]) -> tuple[int, ...]:
    return check_seeds(seeds, "--seeds")


def check_seeds(seeds: Sequence[object], source: str) -> tuple[int, ...]:
    """The seeds a sweep may train, however they came (``--seeds``, or a sweep.json read back):
    at most ``MEMBERS_MAX``, whole numbers from 0 to ``SEED_MAX``, each once. ``source`` starts
    the sentence of the :class:`UsageError` raised otherwise (``--seeds``, or ``it`` for a file)."""
    if len(seeds) > MEMBERS_MAX:
        raise UsageError(f"{source} asks for {len(seeds):,} seeds; a sweep trains at most {MEMBERS_MAX:,}.")
    if not seeds or not all(type(seed) is int and seed >= 0 for seed in seeds):
        raise UsageError(f"{source} has no list of seeds (whole numbers ≥ 0).")
    whole = cast("list[int]", list(seeds))
    if max(whole) > SEED_MAX:
        raise UsageError(f"{source}: {max(whole)} is larger than the largest seed, 2**63 - 1.")
    seen: set[int] = set()
    for seed in whole:
        if seed in seen:
            raise UsageError(f"{source} names seed {seed} twice; each seed trains once.")
        seen.add(seed)
    return tuple(whole)


def member_name(seed: int) -> str:
    """The run directory name of a sweep's member: ``seed-037``."""
    return f"seed-{seed:03d}"


def member_seed(name: str) -> int | None:
    """The seed a member directory name stands for (``seed-37`` and ``seed-037`` alike), or None."""
    match = MEMBER_PATTERN.fullmatch(name)
    return int(match[1]) if match else None


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
