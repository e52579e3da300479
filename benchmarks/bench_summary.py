"""Benchmark: members saved and scored per second after a sweep's training, new path against old.

Trains a sweep of N members for a few steps (``open_sweep``, as ``gancurve sweep`` does), then
times, alternately in this one process:

- saving: the old path (each member's ``save()`` in turn) against the new one (``_save_all``:
  engine reads on this thread, the writes and their fsyncs in ``PHASE_THREADS`` threads);
- scoring: the old path (``evaluate_weights`` per member: fresh draws and the artist's floor for
  each) against the new one (``_score_all``: the draws once per recipe, G and D alone, in threads).

The sweep is first run once as ``gancurve sweep`` runs it (its whole time is printed), then
every round re-saves every member (their saved step is forgotten first) into the same files, so
the disk sees the same work each time. Medians over the rounds, and the new/old ratios, are
printed with the CPU's name and the count of cores.

    python benchmarks/bench_summary.py [--members 500] [--steps 10] [--repeats 3] [--runs-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the CLI sets it before numpy loads

from machine import cpu_name  # benchmarks/machine.py (run as a script: its folder is on the path)

from gancurve.core.config import EVALUATE_SAMPLES, EVALUATE_SEED
from gancurve.core.engines.batched import prepare
from gancurve.results.evaluation import evaluate_weights
from gancurve.sweeps.opening import SweepRequest, open_sweep
from gancurve.sweeps.session import PHASE_THREADS, SilentSweepReporter, SweepSession
from gancurve.training.cadence import Cadence
from gancurve.training.signals import StopFlag


def old_save(session: SweepSession) -> None:
    for member in session.sessions:
        member.save()


def new_save(session: SweepSession) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(PHASE_THREADS) as pool:
        assert session._save_all(SilentSweepReporter(), pool, lambda: False)


def old_score(session: SweepSession) -> None:
    for member in session.sessions:
        trainer = member.trainer
        weights = trainer.state().weights_to_use()
        evaluate_weights(
            weights, member.config, member.run.name, trainer.step_count, EVALUATE_SAMPLES, EVALUATE_SEED
        )


def new_score(session: SweepSession) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(PHASE_THREADS) as pool:
        assert session._score_all(SilentSweepReporter(), pool, lambda: False) is not None


def timed(work, session: SweepSession) -> float:  # type: ignore[no-untyped-def]
    for member in session.sessions:
        member.saved_step = None  # every round saves every member again
    start = time.perf_counter()
    work(session)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--runs-dir", type=Path, default=None, help="where to write (default: a temporary dir)"
    )
    args = parser.parse_args()
    prepare()
    runs = args.runs_dir or Path(tempfile.mkdtemp(prefix="bench-summary-"))
    cadence = Cadence(
        steps=args.steps, log_every=args.steps, snapshot_every=args.steps, eval_every=args.steps
    )
    request = SweepRequest(runs, "bench", tuple(range(1, args.members + 1)), cadence, {})
    print(f"CPU: {cpu_name()} ({os.cpu_count()} cores); {args.members} members × {args.steps} steps; "
          f"{PHASE_THREADS} threads; runs in {runs}")  # fmt: skip
    try:
        with open_sweep(request) as session:
            start = time.perf_counter()
            session.train(SilentSweepReporter(), StopFlag())  # the real thing once: logs, files, summary
            whole = time.perf_counter() - start
            times: dict[str, list[float]] = {"old save": [], "new save": [], "old score": [], "new score": []}
            for _ in range(args.repeats):  # alternately, so drift hits both alike
                times["old save"].append(timed(old_save, session))
                times["new save"].append(timed(new_save, session))
                times["old score"].append(timed(old_score, session))
                times["new score"].append(timed(new_score, session))
    finally:
        if args.runs_dir is None:
            shutil.rmtree(runs, ignore_errors=True)
    rate = {name: args.members / statistics.median(seconds) for name, seconds in times.items()}
    print(f"the whole sweep (open, train, save, score, summary): {whole:.1f} s")
    for phase in ("save", "score"):
        old, new = rate[f"old {phase}"], rate[f"new {phase}"]
        print(f"{phase:>5}: old {old:7,.0f} members/s · new {new:7,.0f} members/s · new/old {new / old:.2f}×")
    both_old = 1 / (1 / rate["old save"] + 1 / rate["old score"])
    both_new = 1 / (1 / rate["new save"] + 1 / rate["new score"])
    print(f"saved and scored: old {both_old:,.0f} members/s · new {both_new:,.0f} members/s · "
          f"new/old {both_new / both_old:.2f}×  (medians of {args.repeats})")  # fmt: skip


if __name__ == "__main__":
    main()
