"""Benchmark: a sweep on a Dask LocalCluster of 1 and of 2 worker processes (``sweep --cluster``).

Times the same study (``--seeds`` × ``--steps``, shards by the rule of ``gancurve.sweeps.cluster``)
on clusters of each size in ``--workers``, alternating in this one process, ``--repeats`` times,
medians reported: seconds, model-steps/s, and the scaling efficiency against the first size
(``t₁ / (k · t_k)``; the goal from 1 to 2 workers is ≥ 85% of linear). Each cluster is started and
its workers have loaded the compiled step before the clock starts.

Then the overhead per shard, on one worker: a small study (``--overhead-seeds`` × ``--overhead-steps``)
as one shard against one shard per member; ``(t_many − t_one) / (shards − 1)`` is what a shard
costs beyond its training (the task's round trip, its scratch sweep, scoring set-up, sending its
files, the client's writes).

    python benchmarks/bench_cluster.py [--seeds 200] [--steps 10000] [--workers 1,2] [--repeats 1]
                                       [--overhead-seeds 40] [--overhead-steps 200]

A small check: ``--seeds 40 --steps 1000``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time

import distributed
from machine import cpu_name  # benchmarks/machine.py (run as a script: its folder is on the path)

import gancurve as gc
from gancurve.core.engines.batched import prepare
from gancurve.sweeps.cluster import ClusterSpec, shard_size


def timed_study(
    client: distributed.Client, seeds: int, steps: int, shard_members: int | None = None
) -> float:
    """Seconds of one sweep of ``seeds`` × ``steps`` on ``client``'s cluster, in a fresh directory."""
    spec = ClusterSpec(client=client, shard_members=shard_members)
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as runs:
        start = time.perf_counter()
        gc.sweep(
            seeds=range(1, seeds + 1), steps=steps, runs_dir=runs, name="b", cluster=spec, progress=False
        )
        return time.perf_counter() - start


def started(workers: int) -> tuple[distributed.LocalCluster, distributed.Client]:
    """A LocalCluster as ``--cluster local:N`` starts it, its workers' compiled step loaded."""
    cluster = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
        env={"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )
    client = distributed.Client(cluster)
    client.run(prepare)
    return cluster, client


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument(
        "--workers", default="1,2", help="cluster sizes, comma-separated; the first is the base"
    )
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--overhead-seeds", type=int, default=40)
    parser.add_argument("--overhead-steps", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(size) for size in args.workers.split(",")]

    prepare()  # the workers load it from numba's cache
    print(f"machine: {cpu_name()}, {len(os.sched_getaffinity(0))} cores")
    print(f"study: {args.seeds} seeds × {args.steps:,} steps = {args.seeds * args.steps:,} model-steps")
    times: dict[int, list[float]] = {size: [] for size in sizes}
    for repeat in range(args.repeats):
        for size in sizes:  # alternating: drifts of the machine's load fall on every size alike
            cluster, client = started(size)
            try:
                seconds = timed_study(client, args.seeds, args.steps)
            finally:
                client.close()
                cluster.close()
            times[size].append(seconds)
            per_shard = shard_size(args.seeds, args.steps, size)
            print(f"  repeat {repeat + 1}, {size} worker(s): {seconds:.1f} s ({per_shard} members per shard)")
    base = sizes[0]
    base_time = statistics.median(times[base])
    print(f"{'workers':>8} {'seconds':>9} {'model-steps/s':>14} {'efficiency':>11}")
    for size in sizes:
        median = statistics.median(times[size])
        efficiency = base_time * base / (size * median)
        rate = args.seeds * args.steps / median
        print(f"{size:>8} {median:>9.1f} {rate:>14,.0f} {efficiency:>10.0%}")

    cluster, client = started(1)
    try:
        one = timed_study(client, args.overhead_seeds, args.overhead_steps, shard_members=args.overhead_seeds)
        many = timed_study(client, args.overhead_seeds, args.overhead_steps, shard_members=1)
    finally:
        client.close()
        cluster.close()
    overhead = (many - one) / max(1, args.overhead_seeds - 1)
    print(
        f"overhead per shard (1 worker, {args.overhead_seeds} seeds × {args.overhead_steps} steps): "
        f"1 shard {one:.2f} s, {args.overhead_seeds} shards {many:.2f} s → {overhead * 1000:.0f} ms per shard"
    )


if __name__ == "__main__":
    main()
