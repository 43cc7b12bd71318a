"""A Keras 3 classifier on random data, logged by wandb's Keras callback.

Keras runs on PyTorch here (KERAS_BACKEND=torch): no TensorFlow needed.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import wandb
from wandb.integration.keras import WandbMetricsLogger


def main() -> None:
    keras.utils.set_random_seed(0)
    run = wandb.init(project="keras-demo", config={"epochs": 3, "batch_size": 16, "units": 8})
    config = run.config
    x = np.random.default_rng(0).normal(size=(96, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(config.units, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"]
    )
    fit = model.fit(
        x,
        y,
        epochs=config.epochs,
        batch_size=config.batch_size,
        validation_split=0.25,
        verbose=0,
        callbacks=[WandbMetricsLogger(log_freq="epoch")],
    )
    wandb.finish()

    # -- what the test checks against the store --
    lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))  # float32's 1e-3
    history = []
    for epoch in range(config.epochs):
        row = {f"epoch/{k}": float(v[epoch]) for k, v in fit.history.items()}
        history.append({**row, "epoch/epoch": epoch, "epoch/learning_rate": lr})
    expected = {
        "project": "keras-demo",
        "config": {"epochs": 3, "batch_size": 16, "units": 8},
        "history": history,
        "summary": history[-1],
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
