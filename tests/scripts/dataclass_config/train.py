"""A GPT-style training loop whose settings are dataclasses, as in many research repos.

Validation loss is plotted against the iteration (define_metric with step_metric) and
summarised by its minimum and maximum.
"""

import dataclasses
import json

import wandb


@dataclasses.dataclass
class OptimConfig:
    name: str = "adamw"
    lr: float = 3e-4
    betas: tuple[float, float] = (0.9, 0.95)
    weight_decay: float = 0.1


@dataclasses.dataclass
class TrainConfig:
    model: str = "gpt-mini"
    n_layer: int = 4
    block_size: int = 64
    max_iters: int = 6
    eval_interval: int = 2
    compile: bool = False
    optim: OptimConfig = dataclasses.field(default_factory=OptimConfig)


def main() -> None:
    cfg = TrainConfig(n_layer=2, optim=OptimConfig(lr=1e-3))
    wandb.init(project="dataclass-gpt", config=dataclasses.asdict(cfg))
    wandb.define_metric("iter")
    wandb.define_metric("val/loss", step_metric="iter", summary="min,max")

    history = []
    val_losses = []
    for it in range(cfg.max_iters):
        row = {"iter": it, "train/loss": 4.0 - 0.5 * it, "lr": cfg.optim.lr}
        wandb.log(row)
        history.append(row)
        if it % cfg.eval_interval == 0:
            val = 4.5 - 0.25 * it if it != 4 else 5.0
            wandb.log({"val/loss": val})  # no "iter": step_sync adds the last one
            history.append({"val/loss": val, "iter": it})
            val_losses.append(val)
    wandb.finish()

    # -- what the test checks against the store --
    config = json.loads(json.dumps(dataclasses.asdict(cfg)))  # tuples are lists
    expected = {
        "project": "dataclass-gpt",
        "config": config,
        "history": history,
        "summary": {
            "iter": cfg.max_iters - 1,
            "train/loss": history[-1]["train/loss"],
            "lr": cfg.optim.lr,
            "val/loss": {"min": min(val_losses), "max": max(val_losses)},
        },
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
