"""PyTorch Lightning with its WandbLogger, a LearningRateMonitor and hyperparameters
saved by the module: Lightning imports wandb itself, so this runs under `runconfig run`
only."""

import json

import lightning.pytorch as pl
import torch
from lightning.pytorch.callbacks import LearningRateMonitor
from lightning.pytorch.loggers import WandbLogger
from torch.utils.data import DataLoader, TensorDataset


class Regressor(pl.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 8) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(4, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.hparams.lr)
        return [optimizer], [torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)]


class RecordingLogger(WandbLogger):
    """WandbLogger, keeping what Lightning asks it to log (for the test's comparison)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.calls = []

    def log_metrics(self, metrics, step=None):
        self.calls.append((dict(metrics), step))
        super().log_metrics(metrics, step)


def main() -> None:
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    logger = RecordingLogger(project="lightning-demo", save_dir=".", tags=["pl"])
    logger.log_hyperparams({"data": {"examples": 64, "batch_size": 16}})
    trainer = pl.Trainer(
        max_epochs=2,
        logger=logger,
        callbacks=[LearningRateMonitor(logging_interval="epoch")],
        log_every_n_steps=2,
        accelerator="cpu",
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
    )
    trainer.fit(Regressor(), DataLoader(data, batch_size=16), DataLoader(data, batch_size=32))

    # -- what the test checks against the store (Lightning finishes the run at exit) --
    history = []
    summary = {}
    for metrics, step in logger.calls:
        row = metrics if step is None else {**metrics, "trainer/global_step": step}
        history.append(row)
        summary.update(row)
    expected = {
        "project": "lightning-demo",
        "tags": ["pl"],
        "config": {"data": {"examples": 64, "batch_size": 16}, "lr": 0.05, "hidden": 8},
        "history": history,
        "summary": summary,
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    main()
