"""A stand-in for TensorFlow 1's ``tf.app.flags``, for the seed's TensorFlow example.

TensorFlow itself is too big to install for tests; ``tests/tf_style_flags.py`` rebuilds
the legacy flag object the way TensorFlow < 1.4 defined it. Tests put this directory on
``PYTHONPATH`` so that ``import tensorflow as tf; tf.app.flags`` finds it.
"""

import types

import tf_style_flags

app = types.SimpleNamespace(flags=tf_style_flags)
