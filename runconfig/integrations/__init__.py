"""Integrations of runconfig with other libraries, one module each, imported on demand.

- :mod:`runconfig.integrations.tensorboard`: ``init(sync_tensorboard=True)``, TensorBoard
  scalars logged into the run's history.
"""
