"""An evaluation job: run fields given to init and changed on the run, a threshold changed
on purpose (allow_val_change), and alerts when a metric looks wrong."""

import json

import wandb


def main() -> None:
    run = wandb.init(
        project="eval-jobs",
        name="eval-resnet",
        group="exp-7",
        job_type="eval",
        notes="nightly evaluation",
        tags=["nightly"],
        config={"threshold": 0.5, "checkpoint": "ckpt/last.pt"},
    )
    wandb.config.update({"threshold": 0.7}, allow_val_change=True)
    accuracies = [0.91, 0.42, 0.88]
    for i, acc in enumerate(accuracies):
        wandb.log({"shard": i, "acc": acc})
        if acc < wandb.config.threshold:
            wandb.alert(
                title="Low accuracy",
                text=f"shard {i}: accuracy {acc} is below {wandb.config.threshold}",
                level=wandb.AlertLevel.WARN,
            )
    run.alert(title="Evaluation done", text=f"{len(accuracies)} shards")
    run.tags = [*run.tags, "checked"]
    run.notes = run.notes + " (3 shards)"
    run.name = run.name + "-final"
    wandb.run.summary.update({"mean_acc": sum(accuracies) / len(accuracies)})
    wandb.finish()

    # -- what the test checks against the store --
    expected = {
        "project": "eval-jobs",
        "name": "eval-resnet-final",
        "group": "exp-7",
        "job_type": "eval",
        "notes": "nightly evaluation (3 shards)",
        "tags": ["nightly", "checked"],
        "config": {"threshold": 0.7, "checkpoint": "ckpt/last.pt"},
        "history": [{"shard": i, "acc": a} for i, a in enumerate(accuracies)],
        "summary": {"shard": 2, "acc": 0.88, "mean_acc": sum(accuracies) / len(accuracies)},
        "alerts": [
            {
                "title": "Low accuracy",
                "text": "shard 1: accuracy 0.42 is below 0.7",
                "level": "WARN",
            },
            {"title": "Evaluation done", "text": "3 shards", "level": "INFO"},
        ],
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
