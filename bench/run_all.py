"""Run every benchmark and print one summary table: each figure against its floor.

    python bench/run_all.py                      # all: config, run, query (100,000 runs)
    python bench/run_all.py --only config,run    # some
    python bench/run_all.py --runs 20000         # a smaller query store (floors are for 100k)

Each script's own table (with the peers beside each figure) is printed as it finishes,
then the summary. A benchmark that crashes (a part of the package not there yet) is
reported and the others go on. The exit code is 0 even when a floor FAILs: this reports.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
import traceback
from collections.abc import Callable

import bench_config
import bench_limits
import bench_media
import bench_query
import bench_read
import bench_reliability
import bench_run
from _harness import Row, print_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", default="config,run,query,media,reliability,limits,read", help="comma-separated"
    )
    parser.add_argument("--runs", type=int, default=100_000, help="runs in the query store")
    parser.add_argument("--mlflow-runs", type=int, default=10_000)
    parser.add_argument("--fresh-mlflow", action="store_true", help="rebuild MLflow's database")
    args = parser.parse_args()
    suites: dict[str, tuple[str, Callable[[], list[Row]]]] = {
        "config": ("bench_config: a standalone Config (issue 2)", bench_config.measure),
        "run": ("bench_run: runs and durable writes (issue 3)", bench_run.measure),
        "query": (
            f"bench_query: {args.runs:,} runs (issue 4)",
            lambda: bench_query.measure(args.runs, args.mlflow_runs, args.fresh_mlflow),
        ),
        "media": ("bench_media: files, media, watch, artifacts (issue 12)", bench_media.measure),
        "reliability": ("bench_reliability: journal, replay (issue 10)", bench_reliability.measure),
        "limits": ("bench_limits: bounded queries (issue 10)", bench_limits.measure),
        "read": ("bench_read: reading runs back, runs in a loop (issue 11)", bench_read.measure),
    }
    started = time.perf_counter()
    summary: list[Row] = []
    for name in args.only.split(","):
        title, measure = suites[name.strip()]
        t = time.perf_counter()
        try:
            rows = measure()
        except Exception:
            traceback.print_exc()
            summary.append(Row(f"{name}: crashed", None, note="crashed (traceback above)"))
            continue
        print_table(f"{title}, {time.perf_counter() - t:.0f} s", rows)
        summary += [dataclasses.replace(r, peers=[], note="") for r in rows]
    verdicts = [r.verdict for r in summary]
    print_table(
        f"summary: {verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL, "
        f"in {time.perf_counter() - started:.0f} s ({time.strftime('%Y-%m-%d %H:%M')})",
        summary,
    )


if __name__ == "__main__":
    main()
