"""The data the benchmarks store: a run's 20-key config, 100,000 deterministic runs for
the query benchmark, and its queries."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

from runconfig.store.base import RunData

# The 20-key config of bench_run's runs.
CONFIG: dict[str, Any] = {
    "lr": 1e-3,
    "batch_size": 32,
    "epochs": 10,
    "optimizer": "adam",
    "momentum": 0.9,
    "weight_decay": 1e-4,
    "dropout": 0.1,
    "seed": 42,
    "model": "resnet18",
    "dataset": "cifar10",
    "augment": True,
    "warmup_steps": 500,
    "scheduler": "cosine",
    "grad_clip": 1.0,
    "label_smoothing": 0.1,
    "num_workers": 4,
    "precision": "bf16",
    "hidden_size": 512,
    "num_layers": 6,
    "activation": "gelu",
}

ORDER = "summary.val_loss"
# (label, query, order, the test in Python): lr is log-uniform on [1e-5, 1e-1], so
# P(lr < 1e-2) is 0.75, P(lr < 1e-3) 0.5, P(lr < 1e-4) 0.25, P(lr < 1.58e-5) 0.05;
# train.epochs is uniform on 1..100, dropout on [0, 0.5).
QUERIES: list[tuple[str, str, str, Callable[[dict[str, Any]], bool]]] = [
    (
        "the issue's query",
        'lr < 0.01 and optimizer == "adam"',
        ORDER,
        lambda c: c["lr"] < 0.01 and c["optimizer"] == "adam",
    ),
    (
        "the same, descending",
        'lr < 0.01 and optimizer == "adam"',
        "-" + ORDER,
        lambda c: c["lr"] < 0.01 and c["optimizer"] == "adam",
    ),
    (
        "~50%",
        "lr < 0.01 and train.epochs <= 67",
        ORDER,
        lambda c: c["lr"] < 0.01 and c["train"]["epochs"] <= 67,
    ),
    (
        "~5%",
        "lr < 0.001 and train.epochs <= 10",
        ORDER,
        lambda c: c["lr"] < 0.001 and c["train"]["epochs"] <= 10,
    ),
    (
        "~0.1%",
        "lr < 0.0001 and dropout < 0.002",
        ORDER,
        lambda c: c["lr"] < 0.0001 and c["dropout"] < 0.002,
    ),
    (  # two predicates of 5% each: neither is rare, together they are
        "5% x 5%",
        "lr < 0.0000158 and train.epochs <= 5",
        ORDER,
        lambda c: c["lr"] < 0.0000158 and c["train"]["epochs"] <= 5,
    ),
    (
        "10% x 10%",
        "dropout < 0.05 and train.epochs <= 10",
        ORDER,
        lambda c: c["dropout"] < 0.05 and c["train"]["epochs"] <= 10,
    ),
]


def make_runs(count: int, seed: int = 7) -> Iterator[RunData]:
    """Deterministic runs: the first N are the same whatever ``count`` is."""
    rng = random.Random(seed)
    for i in range(count):
        config = {
            "lr": 10 ** rng.uniform(-5, -1),
            "batch_size": rng.choice([16, 32, 64, 128, 256]),
            "epochs": rng.randint(1, 100),
            "optimizer": rng.choice(["adam", "sgd", "adamw", "rmsprop"]),
            "model": rng.choice(["resnet18", "resnet50", "vit-b", "convnext"]),
            "dataset": rng.choice(["mnist", "cifar10", "imagenet"]),
            "dropout": rng.random() / 2,
            "weight_decay": rng.choice([0.0, 1e-4, 1e-3]),
            "momentum": rng.choice([0.9, 0.95, 0.99]),
            "seed": rng.randint(0, 2**31),
            "augment": rng.random() < 0.5,
            "use_amp": rng.random() < 0.5,
            "warmup_steps": rng.randint(0, 1000),
            "scheduler": rng.choice(["cosine", "linear", "step"]),
            "grad_clip": rng.choice([0.5, 1.0, 5.0]),
            "label_smoothing": rng.choice([0.0, 0.1]),
            "train": {
                "epochs": rng.randint(1, 100),
                "steps": rng.randint(100, 10_000),
                "accumulate": rng.choice([1, 2, 4]),
                "eval_every": 500,
            },
        }
        summary = {"val_loss": rng.random(), "acc": rng.random(), "f1": rng.random()}
        yield RunData(
            id=f"r{i:07d}",
            name=f"run-{i}",
            project="bench",
            state="finished",
            created_at=f"2026-01-01T00:00:{i // 1_000_000:02d}.{i % 1_000_000:06d}+00:00",
            config=config,
            summary=summary,
        )
