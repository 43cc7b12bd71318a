import runconfig as wandb
from absl import flags

wandb.init()
flags.DEFINE_string('model', None, 'model to run')  # name, default, help
wandb.config.update(flags.FLAGS)  # adds all absl flags to config
