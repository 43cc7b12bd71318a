import runconfig as wandb
import tensorflow as tf

wandb.init()
flags = tf.app.flags
flags.DEFINE_string('data_dir', '/tmp/data', 'Data directory.')
flags.DEFINE_integer('batch_size', 128, 'Batch size.')
wandb.config.update(flags.FLAGS)  # adds all of the tensorflow flags to config
