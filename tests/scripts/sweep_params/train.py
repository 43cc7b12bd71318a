"""The training function a sweep agent starts: the sweep's values win over the defaults.

The agent passes the values in a file named by WANDB_SWEEP_PARAM_PATH (wandb's form,
``key: {value: ...}``); wandb.init locks them, and the script's own writes to a swept
key are ignored with a warning.
"""

import json
import os

import wandb

DEFAULTS = {"lr": 0.1, "batch_size": 64, "epochs": 3, "optimizer": "sgd"}


def train() -> list[dict[str, float]]:
    run = wandb.init(project="sweep-demo", config=DEFAULTS)
    config = wandb.config
    # A swept key keeps the sweep's value, whatever the script says.
    config.update({"optimizer": "adam"}, allow_val_change=True)
    history = []
    for epoch in range(config.epochs):
        row = {"epoch": epoch, "loss": config.lr / (epoch + 1)}
        run.log(row)
        history.append(row)
    run.finish()
    return history


if __name__ == "__main__":
    history = train()

    # -- what the test checks against the store --
    import yaml

    with open(os.environ["WANDB_SWEEP_PARAM_PATH"], encoding="utf-8") as f:
        swept = {k: v["value"] for k, v in yaml.safe_load(f).items() if k != "wandb_version"}
    expected = {
        "project": "sweep-demo",
        "config": {**DEFAULTS, **swept},
        "history": history,
        "summary": history[-1],
        "state": "finished",
    }
    print(json.dumps(expected))
