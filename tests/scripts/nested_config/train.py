"""A segmentation model with a nested config, nested metrics and a nested summary."""

import json

import wandb

CONFIG = {
    "model": {"name": "unet", "channels": [32, 64], "norm": {"type": "group", "groups": 8}},
    "data": {"root": "/data/cells", "augment": True, "crop": 128},
    "seed": 7,
}


def main() -> None:
    run = wandb.init(project="segmentation", config=CONFIG)
    wandb.config.train = {"epochs": 2, "amp": False}
    wandb.config["eval"] = {"every": 1, "metrics": ["dice", "iou"]}
    history = []
    for epoch in range(wandb.config.train["epochs"]):
        row = {"epoch": epoch, "val": {"dice": 0.5 + 0.1 * epoch, "iou": 0.4 + 0.1 * epoch}}
        wandb.log(row)
        history.append(row)
    run.summary["best"] = {"epoch": 1, "dice": 0.6}
    run.summary["best"]["seconds"] = 12.5
    wandb.summary.update({"test": {"dice": 0.55}})
    wandb.finish()

    # -- what the test checks against the store --
    expected = {
        "project": "segmentation",
        "config": {
            **CONFIG,
            "train": {"epochs": 2, "amp": False},
            "eval": {"every": 1, "metrics": ["dice", "iou"]},
        },
        "history": history,
        "summary": {
            **history[-1],
            "best": {"epoch": 1, "dice": 0.6, "seconds": 12.5},
            "test": {"dice": 0.55},
        },
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
