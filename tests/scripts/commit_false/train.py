"""Gradient accumulation: each micro-batch adds to the step's row with commit=False, and
the optimizer step commits it. Evaluation is logged at explicit steps."""

import json

import wandb

ACCUMULATE = 3
STEPS = 4


def main() -> None:
    wandb.init(project="grad-accum", config={"accumulate": ACCUMULATE, "steps": STEPS})
    history = []
    for step in range(STEPS):
        row = {}
        for micro in range(ACCUMULATE):
            metrics = {f"micro/loss_{micro}": step + micro / 10}
            wandb.log(metrics, commit=False)
            row.update(metrics)
        update = {"train/loss": float(step), "lr": 0.1 * (STEPS - step)}
        wandb.log(update)  # commits the row the micro-batches started
        history.append({**row, **update, "_step": step})

    # Explicit steps: the same step twice makes one row; a step already passed is dropped
    # with a warning; log({}, commit=True) commits the pending row.
    wandb.log({"eval/acc": 0.5}, step=10)
    wandb.log({"eval/f1": 0.25}, step=10)
    wandb.log({"eval/late": 1.0}, step=3)
    wandb.log({}, commit=True)
    history.append({"eval/acc": 0.5, "eval/f1": 0.25, "_step": 10})
    wandb.log({"done": True})
    history.append({"done": True, "_step": 11})
    wandb.finish()

    # -- what the test checks against the store --
    summary = {}
    for row in history:
        summary.update({k: v for k, v in row.items() if not k.startswith("_")})
    expected = {
        "project": "grad-accum",
        "config": {"accumulate": ACCUMULATE, "steps": STEPS},
        "history": history,
        "summary": summary,
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
