"""Track a run, then find it again by its config: the README's ten lines."""

import runconfig as wandb

wandb.config.epochs = 4  # before init: carried into the run
run = wandb.init(project="mnist", config={"lr": 1e-3, "optimizer": "adam"})
wandb.config["train"]["batch_size"] = 32  # nested: creates "train"
for epoch in range(wandb.config.epochs):
    run.log({"val_loss": 1.0 / (epoch + 1)})
wandb.finish()

for r in wandb.Api().runs(where="lr < 0.01 and train.batch_size >= 32", order="summary.val_loss"):
    print(r.name, r.config, r.summary)
