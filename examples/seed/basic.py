import runconfig as wandb

wandb.config.epochs = 4
wandb.init()
for x in range(wandb.config.epochs):
    pass  # train
