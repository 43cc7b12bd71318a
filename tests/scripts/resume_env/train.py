"""A preemptible job: when the scheduler requeues it, it resumes the same run.

The job script exports WANDB_RUN_ID and WANDB_RESUME=allow; the training state is kept in
a checkpoint file. The first attempt is preempted at --preempt-at and exits with 75 (the
scheduler's "requeue me"); the second resumes the run and the epochs where they stopped.
"""

import argparse
import json
import os
import sys

import wandb

CHECKPOINT = "checkpoint.json"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--preempt-at", type=int, default=None)
    args = parser.parse_args()

    state = {"epoch": 0, "history": []}
    if os.path.exists(CHECKPOINT):
        with open(CHECKPOINT, encoding="utf-8") as f:
            state = json.load(f)

    run = wandb.init(project="preemptible", config={"epochs": args.epochs, "lr": 0.01})
    for epoch in range(state["epoch"], args.epochs):
        if epoch == args.preempt_at and not run.resumed:
            wandb.mark_preempting()
            sys.exit(75)
        row = {"epoch": epoch, "loss": 1.0 / (epoch + 1)}
        wandb.log(row)
        state = {"epoch": epoch + 1, "history": [*state["history"], row]}
        with open(CHECKPOINT, "w", encoding="utf-8") as f:
            json.dump(state, f)
    wandb.finish()

    # -- what the test checks against the store --
    expected = {
        "project": "preemptible",
        "id": os.environ["WANDB_RUN_ID"],
        "resumed": run.resumed,
        "config": {"epochs": args.epochs, "lr": 0.01},
        "history": state["history"],
        "summary": state["history"][-1],
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
