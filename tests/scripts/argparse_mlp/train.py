"""Train a small MLP on synthetic data; the command line goes into wandb.config.

python train.py --lr 0.05 --epochs 4 --hidden 16 8
"""

import argparse
import json

import wandb


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 32])
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--no-augment", dest="augment", action="store_false")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    run = wandb.init(project="mlp", job_type="train", tags=["baseline"])
    wandb.config.update(args)
    wandb.config.update({"optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": True}})
    run.name = f"mlp-{'x'.join(map(str, args.hidden))}-lr{args.lr}"
    run.tags = (*run.tags, "argparse")
    run.notes = "synthetic data, CPU only"

    history = []
    best = float("inf")
    for epoch in range(args.epochs):
        train_loss = 1.0 / (epoch + 1) + args.lr
        val_loss = 1.25 / (epoch + 1)
        row = {"epoch": epoch, "train/loss": train_loss, "val/loss": val_loss}
        wandb.log(row)
        history.append(row)
        best = min(best, val_loss)
    wandb.run.summary["best_val_loss"] = best
    wandb.finish()

    # -- what the test checks against the store --
    expected = {
        "project": "mlp",
        "name": f"mlp-{'x'.join(map(str, args.hidden))}-lr{args.lr}",
        "tags": ["baseline", "argparse"],
        "notes": "synthetic data, CPU only",
        "job_type": "train",
        "config": {
            **vars(args),
            "optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": True},
        },
        "history": history,
        "summary": {**history[-1], "best_val_loss": best},
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
