"""The commands about files and artifacts: files, artifacts, artifact; show's media."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import runconfig
from runconfig.cli import main

pytestmark = pytest.mark.usefixtures("no_run")


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A store with a run that saved a file, logged media and an artifact another used."""
    path = str(tmp_path / "s.db")
    (tmp_path / "model.ckpt").write_text("weights v1")
    producer = runconfig.init(project="p", store=path, name="producer")
    producer.save("model.ckpt", policy="now")
    producer.log({"preds": runconfig.Table(columns=["a"], data=[[1]]), "loss": 1.0})
    producer.log({"preds": runconfig.Table(columns=["a"], data=[[2]])})
    producer.log({"h": runconfig.Histogram([1, 2, 3])})
    art = runconfig.Artifact("net", "model", metadata={"acc": 0.9})
    art.add_file(tmp_path / "model.ckpt")
    producer.log_artifact(art, aliases=["best"])
    producer.finish()
    consumer = runconfig.init(project="p", store=path, name="consumer")
    consumer.use_artifact("net:best")
    consumer.finish()
    return path


def test_files_lists_the_recorded_files_and_copies_one_out(store: str, tmp_path: Path) -> None:
    result = cli("files", "producer", "--store", store)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["path", "kind", "size", "sha256", "recorded"]
    paths = [line.split()[0] for line in lines[2:]]
    assert "model.ckpt" in paths and sum(p.startswith("media/") for p in paths) == 2
    out = tmp_path / "out.ckpt"
    got = cli("files", "producer", "--get", "model.ckpt", "-o", str(out), "--store", store)
    assert got.exit_code == 0 and out.read_text() == "weights v1"
    missing = CliRunner().invoke(
        main, ["files", "producer", "--get", "modle.ckpt", "--store", store]
    )
    assert missing.exit_code == 1 and "did you mean 'model.ckpt'" in missing.output


def test_artifacts_lists_versions_and_artifact_shows_lineage(store: str, tmp_path: Path) -> None:
    listed = cli("artifacts", "--store", store)
    assert listed.exit_code == 0
    row = listed.output.splitlines()[2].split()
    assert row[:4] == ["net:v0", "model", "best,", "latest"]
    assert cli("artifacts", "--type", "dataset", "--store", store).output == (
        "no artifacts of type 'dataset'\n"
    )
    shown = cli("artifact", "net:best", "--store", store).output
    assert "artifact: net:v0" in shown and "acc: 0.9" in shown
    assert "logged by: producer (" in shown and "- consumer (" in shown
    assert "model.ckpt" in shown.splitlines()[-1]
    folder = tmp_path / "dl"
    done = cli("artifact", "net", "--download", str(folder), "--store", store)
    assert done.exit_code == 0 and (folder / "model.ckpt").read_text() == "weights v1"


def test_show_counts_the_media_logged_per_key(store: str) -> None:
    text = cli("show", "producer", "--store", store).output
    media = text[text.index("media:") :].splitlines()
    assert media == ["media:", "  preds: 2 tables", "  h: 1 histogram"]
    data = json.loads(cli("show", "producer", "--format", "json", "--store", store).output)
    assert data["media"] == {"preds": {"table-file": 2}, "h": {"histogram": 1}}
