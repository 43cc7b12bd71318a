"""watch(): histograms of a real PyTorch model's gradients and parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_python

import runconfig

pytestmark = pytest.mark.usefixtures("no_run")

torch = pytest.importorskip("torch", reason="watch() records PyTorch models")


def mlp() -> Any:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))


def train(model: Any, steps: int) -> None:
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(steps):
        loss = model(torch.randn(16, 4)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        runconfig.log({"loss": loss.item()})


def history(run: runconfig.Run) -> list[dict[str, Any]]:
    with runconfig.Api(store=str(Path("s.db").resolve())) as api:
        rows = api.run(run.id).history
    assert rows is not None
    return rows


def test_watch_logs_histograms_every_log_freq_batches_under_wandbs_names() -> None:
    run = runconfig.init(store="s.db")
    model = mlp()
    runconfig.watch(model, log="all", log_freq=2)
    train(model, 4)
    rows = history(run)
    run.finish()
    names = ["0.weight", "0.bias", "2.weight", "2.bias"]
    expected = sorted([f"gradients/{n}" for n in names] + [f"parameters/{n}" for n in names])
    assert [sorted(k for k in r if "/" in k) for r in rows] == [[], expected, [], expected]
    hist = rows[1]["parameters/0.weight"]
    assert hist["_type"] == "histogram" and len(hist["bins"]) == len(hist["values"]) + 1 == 65
    assert sum(hist["values"]) == 4 * 8  # every weight of the first layer, once
    assert all(isinstance(r["loss"], float) for r in rows)


def test_the_default_logs_gradients_only_and_unwatch_removes_every_hook() -> None:
    run = runconfig.init(store="s.db")
    model = mlp()
    run.watch(model, log_freq=1)
    train(model, 1)
    run.unwatch(model)
    assert not model._forward_hooks
    assert all(not p._backward_hooks for p in model.parameters())
    train(model, 2)
    rows = history(run)
    assert sorted(k for k in rows[0] if "/" in k) == [
        "gradients/0.bias",
        "gradients/0.weight",
        "gradients/2.bias",
        "gradients/2.weight",
    ]
    assert all(len(r) == 2 for r in rows[1:])  # _step and loss only, once unwatched


def test_a_second_watched_model_gets_wandbs_graph_prefix() -> None:
    run = runconfig.init(store="s.db")
    first, second = mlp(), mlp()
    run.watch([first, second], log="parameters", log_freq=1)
    first(torch.randn(2, 4))
    second(torch.randn(2, 4))
    run.log({"step": 1})
    keys = {k for k in history(run)[0] if "/" in k}
    assert "parameters/0.weight" in keys and "parameters/graph_10.weight" in keys


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": "not a model"}, "torch.nn.Module"),
        ({"models": None, "log": "weights"}, "'gradients', 'parameters', 'all' or None"),
        ({"models": None, "log_freq": 0}, "a positive integer"),
    ],
    ids=["not a module", "bad log", "bad log_freq"],
)
def test_watch_refuses_what_it_cannot_record(kwargs: dict[str, Any], message: str) -> None:
    run = runconfig.init(store="s.db")
    if kwargs["models"] is None:
        kwargs["models"] = mlp()
    with pytest.raises(runconfig.Error, match=message):
        run.watch(**kwargs)


def test_without_torch_watch_says_what_it_supports(tmp_path: Path) -> None:
    done = run_python(
        "import sys; sys.modules['torch'] = None\n"
        "import runconfig\n"
        f"run = runconfig.init(store={str(tmp_path / 'w.db')!r})\n"
        "try:\n"
        "    runconfig.watch(object())\n"
        "except runconfig.Error as e:\n"
        "    print(e)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "PyTorch models (torch.nn.Module), and torch is not installed" in done.stdout
