"""Issue 12: what logging files, media, gradients and artifacts costs.

    python bench/bench_media.py

Figures (each beside a baseline measured in the same run):

- logging a new 64x64 RGB ``Image`` (``log({"img": Image(array)})``, durable): per call,
  beside a ``log()`` of one scalar and beside Pillow encoding the same PNG in memory;
  the same image logged again (stored once: only its reference is written); reported;
- ``watch(model, log="all", log_freq=100)``: the training step of a small MLP (784-256-10,
  batches of 64, SGD, a ``log()`` of the loss each step) with watch, over the same step
  without it, blocks of steps of each in turn; floor <= 1.10x (the issue: at most 10%);
- artifacts: three versions of a model that share a 32 MB weights file (a small notes
  file changes): bytes kept in the content folder over the bytes of the three versions;
  reported; and ``log_artifact`` of unchanged content (no new version), beside the same
  call the first time; reported.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _harness import Floor, Row, fmt, print_table

import runconfig

STEPS = 200  # training steps per block
BLOCKS = 15  # pairs of blocks (with, without), in turn, which goes first alternating


def _per_call(fn: Callable[[int], object], n: int) -> float:
    """Median seconds of ``fn(i)`` over ``n`` calls."""
    times = []
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench_image(folder: str) -> list[Row]:
    import numpy as np
    from PIL import Image as PILImage

    run = runconfig.init(project="bench", store=os.path.join(folder, "img.db"))
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 255, (64, 64, 3), dtype=np.uint8) for _ in range(200)]
    scalar = _per_call(lambda i: run.log({"loss": float(i)}), 200)
    new = _per_call(lambda i: run.log({"img": runconfig.Image(arrays[i])}), 200)
    again = _per_call(lambda i: run.log({"img": runconfig.Image(arrays[0])}), 200)

    def encode(i: int) -> None:
        import io

        PILImage.fromarray(arrays[i]).save(io.BytesIO(), format="PNG")

    png = _per_call(encode, 200)
    run.finish()
    row = Row("log() of a new 64x64 Image", new, scalar, "log() of a scalar")
    row.peers = [("Pillow: the PNG alone, in memory", png)]
    row.note = f"the same image again: {fmt(again)} (stored once)"
    return [row]


def bench_watch(folder: str) -> list[Row]:
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)
    data = [(torch.randn(64, 784), torch.randint(0, 10, (64,))) for _ in range(50)]

    def model() -> torch.nn.Module:
        return torch.nn.Sequential(
            torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
        )

    def block(net: torch.nn.Module, run: runconfig.Run) -> float:
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        loss_fn = torch.nn.CrossEntropyLoss()
        t = time.perf_counter()
        for step in range(STEPS):
            x, y = data[step % len(data)]
            loss = loss_fn(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            run.log({"loss": loss.item()})
        return (time.perf_counter() - t) / STEPS

    plain_run = runconfig.init(project="bench", store=os.path.join(folder, "plain.db"))
    plain_net = model()
    watched_run = runconfig.init(
        project="bench", store=os.path.join(folder, "watch.db"), reinit="create_new"
    )
    watched_net = model()
    watched_run.watch(watched_net, log="all", log_freq=100)
    block(plain_net, plain_run)  # warm up both
    block(watched_net, watched_run)
    plain, watched = [], []
    for i in range(BLOCKS):  # this machine's speed drifts: alternate which goes first
        if i % 2:
            watched.append(block(watched_net, watched_run))
            plain.append(block(plain_net, plain_run))
        else:
            plain.append(block(plain_net, plain_run))
            watched.append(block(watched_net, watched_run))
    watched_run.finish()
    plain_run.finish()
    ratios = sorted(w / p for w, p in zip(watched, plain, strict=True))
    base = statistics.median(plain)
    ours = base * statistics.median(ratios)  # the median of the paired ratios
    row = Row(
        "train step with watch(log='all', log_freq=100)",
        ours,
        base,
        "the step without watch",
        Floor("ratio_max", 1.10),
    )
    row.note = (
        f"{BLOCKS} pairs of blocks of {STEPS} steps, in turn; ours: the median step "
        f"without watch times the median ratio of a pair ({ratios[0]:.3f}x to "
        f"{ratios[-1]:.3f}x)"
    )
    return [row]


def bench_artifacts(folder: str) -> list[Row]:
    store = os.path.join(folder, "art.db")
    weights = Path(folder, "weights.bin")
    weights.write_bytes(os.urandom(32 << 20))
    run = runconfig.init(project="bench", store=store)
    first = second = 0.0
    version_bytes = 0
    for v in range(3):
        notes = Path(folder, "notes.txt")
        notes.write_text(f"version {v}\n")
        art = runconfig.Artifact("model", "model")
        art.add_file(weights, policy="immutable")
        art.add_file(notes)
        t = time.perf_counter()
        run.log_artifact(art)
        if v == 0:
            first = time.perf_counter() - t
        version_bytes += art.size
    same = runconfig.Artifact("model", "model")
    same.add_file(weights, policy="immutable")
    same.add_file(Path(folder, "notes.txt"))
    t = time.perf_counter()
    run.log_artifact(same)
    second = time.perf_counter() - t
    assert same.version == "v2"
    run.finish()
    objects = Path(folder, "objects")
    kept = sum(p.stat().st_size for p in objects.rglob("*") if p.is_file())
    dedup = Row(
        "bytes kept for 3 versions sharing 32 MB",
        float(kept),
        float(version_bytes),
        "their total size",
        unit="B",
    )
    dedup.note = f"{kept / version_bytes:.2f} of the versions' bytes"
    unchanged = Row(
        "log_artifact of unchanged content (no new version)",
        second,
        first,
        "the first log_artifact (copies 32 MB)",
    )
    return [dedup, unchanged]


def measure() -> list[Row]:
    folder = tempfile.mkdtemp(prefix="runconfig-bench-media-")
    old = os.getcwd()
    os.chdir(folder)
    try:
        rows: list[Row] = []
        for bench in (bench_image, bench_watch, bench_artifacts):
            try:
                rows += bench(folder)
            except ImportError as e:
                rows.append(Row(bench.__name__, None, note=f"n/a ({e})"))
        return rows
    finally:
        os.chdir(old)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    print_table("bench_media: files, media, watch, artifacts (issue 12)", measure())


if __name__ == "__main__":
    sys.exit(main())
