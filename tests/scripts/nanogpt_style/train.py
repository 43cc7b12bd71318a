"""nanoGPT's way: settings are module globals, overridden by --key=value arguments, and
logging to wandb is optional. Each run writes into a fresh output folder (dir=out_dir)."""

import json
import os
import sys
from ast import literal_eval

# -----------------------------------------------------------------------------
out_dir = "out"
eval_interval = 2
log_interval = 1
wandb_log = True
wandb_project = "owt"
wandb_run_name = "gpt2"
batch_size = 12
block_size = 64
learning_rate = 6e-4
max_iters = 6
decay_lr = True
# -----------------------------------------------------------------------------
config_keys = [
    k
    for k, v in globals().items()
    if not k.startswith("_") and isinstance(v, (int, float, bool, str))
]
for arg in sys.argv[1:]:  # nanoGPT's configurator.py, the --key=value part
    key, val = arg[2:].split("=")
    try:
        attempt = literal_eval(val)
    except (SyntaxError, ValueError):
        attempt = val
    assert type(attempt) == type(globals()[key])  # noqa: E721
    globals()[key] = attempt
config = {k: globals()[k] for k in config_keys}  # will be useful for logging
# -----------------------------------------------------------------------------

out_dir = os.path.join(out_dir, wandb_run_name)
os.makedirs(out_dir, exist_ok=True)
if wandb_log:
    import wandb

    wandb.init(project=wandb_project, name=wandb_run_name, config=config, dir=out_dir)

history = []
for iter_num in range(max_iters):
    lr = learning_rate * (1 - iter_num / max_iters) if decay_lr else learning_rate
    if iter_num % eval_interval == 0 and wandb_log:
        row = {
            "iter": iter_num,
            "train/loss": 3.0 - 0.25 * iter_num,
            "val/loss": 3.1 - 0.25 * iter_num,
            "lr": lr,
            "mfu": 1.5,  # percent
        }
        wandb.log(row)
        history.append(row)

# -- what the test checks against the store (which out_dir does not move) --
if wandb_log:
    print(
        json.dumps(
            {
                "project": wandb_project,
                "name": wandb_run_name,
                "config": config,
                "history": history,
                "summary": history[-1],
                "state": "finished",
            }
        )
    )
