"""Defaults from config-defaults.yaml, beside the script and in the working directory;
what init() is given wins over them, and setdefaults() only fills what is missing."""

import json

import wandb


def main() -> None:
    wandb.init(project="defaults-demo", config={"batch_size": 32})
    wandb.config.setdefaults({"warmup_steps": 10, "epochs": 99})
    history = []
    for epoch in range(wandb.config.epochs):
        row = {"epoch": epoch, "acc": 0.5 + 0.1 * epoch * (1 - wandb.config.dropout)}
        wandb.log(row)
        history.append(row)
    wandb.finish()

    # -- what the test checks against the store --
    import yaml

    with open("config-defaults.yaml", encoding="utf-8") as f:
        defaults = {k: v["value"] for k, v in yaml.safe_load(f).items()}
    expected = {
        "project": "defaults-demo",
        "config": {**defaults, "batch_size": 32, "warmup_steps": 10},
        "history": history,
        "summary": history[-1],
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
