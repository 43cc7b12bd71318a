import runconfig as wandb

wandb.init(config={"epochs": 4, "batch_size": 32})
for x in range(wandb.config.epochs):
    pass  # train
