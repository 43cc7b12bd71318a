"""A ResNet-style training loop configured with absl flags, started by absl's app.run.

python train.py --model=resnet34 --learning_rate=0.2 --milestones=1,2
"""

import json

import wandb
from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_string("model", "resnet18", "Architecture.")
flags.DEFINE_integer("epochs", 3, "Epochs to train.")
flags.DEFINE_float("learning_rate", 0.1, "Initial learning rate.")
flags.DEFINE_list("milestones", ["2"], "Epochs at which the learning rate drops 10x.")
flags.DEFINE_bool("mixed_precision", False, "Train in bfloat16.")
flags.DEFINE_enum("optimizer", "sgd", ["sgd", "adam"], "Optimizer.")


def main(argv: list[str]) -> None:
    del argv  # unused
    wandb.init(project="absl-resnet", config=FLAGS)
    lr = FLAGS.learning_rate
    milestones = {int(m) for m in FLAGS.milestones}
    history = []
    for epoch in range(FLAGS.epochs):
        if epoch in milestones:
            lr /= 10
        row = {"epoch": epoch, "lr": lr, "loss": 2.0 / (epoch + 1)}
        wandb.log(row)
        history.append(row)
    wandb.run.summary.update({"final_lr": lr})
    wandb.finish()

    # -- what the test checks against the store --
    names = ("model", "epochs", "learning_rate", "milestones", "mixed_precision", "optimizer")
    expected = {
        "project": "absl-resnet",
        "config": {name: FLAGS[name].value for name in names},
        "history": history,
        "summary": {**history[-1], "final_lr": lr},
        "state": "finished",
    }
    print(json.dumps(expected))


if __name__ == "__main__":
    app.run(main)
