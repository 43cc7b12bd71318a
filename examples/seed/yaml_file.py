import runconfig as wandb

# config-defaults.yaml beside this script is loaded automatically; another YAML file is
# passed by its name.
wandb.init(config="my_config_file.yaml")
print(dict(wandb.config))
