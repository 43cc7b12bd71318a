import runconfig as wandb

wandb.config['train']['epochs'] = 4
wandb.init()
for x in range(wandb.config['train']['epochs']):
    pass  # train
