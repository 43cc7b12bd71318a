"""An image classifier logging per batch and per epoch, each against its own x-axis, with
the summary keeping the best validation values (define_metric)."""

import json

import wandb

EPOCHS = 3
BATCHES = 2


def main() -> None:
    run = wandb.init(project="define-metric", config={"epochs": EPOCHS, "batches": BATCHES})
    run.define_metric("batch/step")
    run.define_metric("batch/*", step_metric="batch/step")
    run.define_metric("epoch")
    run.define_metric("val/*", step_metric="epoch")
    run.define_metric("val/loss", step_metric="epoch", summary="min")
    run.define_metric("val/acc", step_metric="epoch", summary="max,last")
    run.define_metric("train/acc", summary="mean")
    run.define_metric("debug/grad_norm", summary="none")

    history = []
    step = 0
    for epoch in range(EPOCHS):
        for _ in range(BATCHES):
            row = {"batch/step": step, "batch/loss": 1.0 / (step + 1), "debug/grad_norm": 0.5}
            run.log(row)
            history.append(row)
            step += 1
        train_acc = 0.5 + 0.1 * epoch
        run.log({"epoch": epoch, "train/acc": train_acc})
        history.append({"epoch": epoch, "train/acc": train_acc})
        val = {"val/loss": [0.9, 0.6, 0.7][epoch], "val/acc": [0.6, 0.8, 0.75][epoch]}
        run.log(val)  # no "epoch": the step metric is added from its last value
        history.append({**val, "epoch": epoch})
    run.finish()

    # -- what the test checks against the store --
    expected = {
        "project": "define-metric",
        "config": {"epochs": EPOCHS, "batches": BATCHES},
        "history": history,
        "summary": {
            "batch/step": step - 1,
            "batch/loss": 1.0 / step,
            "epoch": EPOCHS - 1,
            "train/acc": {"mean": sum(0.5 + 0.1 * e for e in range(EPOCHS)) / EPOCHS},
            "val/loss": {"min": 0.6},
            "val/acc": {"max": 0.8, "last": 0.75},
        },
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
