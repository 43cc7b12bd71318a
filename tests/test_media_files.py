"""Audio, Video, Html, Object3D; the run folder's files: atomic writes, a refused write,
reading back, files for artifacts, and what importing the package costs."""

from __future__ import annotations

import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import runconfig
from runconfig._run import Run
from runconfig.errors import StoreError, UsageError, UsageTypeError, UsageValueError
from runconfig.media import (
    Audio,
    Html,
    Image,
    MediaFileNotFoundError,
    Object3D,
    Video,
    is_ref,
    load,
    load_file,
)
from runconfig.store import open_store

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.delenv("RUNCONFIG_FILES", raising=False)
    monkeypatch.delenv("WANDB_DIR", raising=False)
    r = runconfig.init(project="p", store=str(tmp_path / "s.db"))
    yield r
    r.finish()


def row_of(run: Run) -> dict[str, Any]:
    run.finish()
    with runconfig.Api(store=run._store.location) as api:  # type: ignore[union-attr]
        return (api.run(run.id).history or [])[0]


def files_of(run: Run) -> list[str]:
    store = open_store(run._store.location)  # type: ignore[union-attr]
    try:
        data = store.get_run(run.id, None)
        assert data is not None and data.rid is not None
        return [f.path for f in store.list_files(data.rid)]
    finally:
        store.close()


def on_disk(run: Run) -> list[str]:
    media = os.path.join(run.dir, "media")
    return sorted(
        os.path.relpath(os.path.join(d, n), run.dir).replace(os.sep, "/")
        for d, _, names in os.walk(media)
        for n in names
    )


def test_audio_samples_are_written_as_a_wav_file(run: Run, tmp_path: Path) -> None:
    samples = np.sin(np.linspace(0, 2 * np.pi * 440, 8000)) * 0.5
    stereo = np.stack([samples, -samples], axis=1).astype(np.float32)
    source = tmp_path / "clip.mp3"
    source.write_bytes(b"ID3 not really an mp3")
    run.log(
        {
            "mono": Audio(samples, sample_rate=8000, caption="a"),
            "stereo": Audio(stereo, sample_rate=16000),
            "file": Audio(str(source)),
        }
    )
    row = row_of(run)
    mono = row["mono"]
    assert mono["_type"] == "audio-file" and mono["path"].endswith(".wav")
    assert (mono["sample_rate"], mono["duration"], mono["caption"]) == (8000, 1.0, "a")
    with wave.open(os.path.join(run.dir, mono["path"])) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (
            1,
            2,
            8000,
            8000,
        )
        first = np.frombuffer(w.readframes(3), dtype="<i2")
    assert first.tolist() == (np.round(samples[:3] * 32767)).astype(int).tolist()
    with wave.open(os.path.join(run.dir, row["stereo"]["path"])) as w:
        assert w.getnchannels() == 2 and row["stereo"]["duration"] == 0.5
    assert row["file"]["path"].endswith(".mp3")
    assert Path(run.dir, row["file"]["path"]).read_bytes() == source.read_bytes()
    again = load(mono, run.dir)
    assert isinstance(again, Audio) and again.sample_rate == 8000
    with again.open() as f:
        assert f.read(4) == b"RIFF"


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: Audio(np.zeros(10)), UsageValueError, '"sample_rate" is required'),
        (lambda: Audio(np.zeros((2, 4000)), 8000), UsageValueError, "transpose"),
        (lambda: Audio(np.zeros(4, dtype=np.int64), 8000), UsageTypeError, "dtype int64"),
        (lambda: Audio([0.0, float("nan")], 8000), UsageValueError, "NaN"),
        (lambda: Audio("missing.wav"), MediaFileNotFoundError, "'missing.wav' does not exist"),
    ],
    ids=["no-sample-rate", "channels-first", "int64", "nan", "missing-file"],
)
def test_wrong_audio_is_refused(make: Any, error: type[Exception], words: str) -> None:
    with pytest.raises(error) as caught:
        make()
    assert words in str(caught.value)


def test_video_frames_are_encoded_as_a_gif(run: Run, tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    frames = np.zeros((5, 3, 8, 12), dtype=np.uint8)
    for t in range(5):
        frames[t, 0] = 50 * t  # red rises frame by frame
    batch = np.zeros((3, 2, 1, 4, 6), dtype=np.uint8)  # 3 one-channel videos, tiled 2x2
    source = tmp_path / "clip.mp4"
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42 not a real video")
    run.log(
        {
            "frames": Video(frames, fps=10, caption="rise"),
            "batch": Video(batch),
            "file": Video(source),
            "stream": Video(io.BytesIO(b"GIF89a..."), format="gif"),
        }
    )
    row = row_of(run)
    ref = row["frames"]
    assert ref["_type"] == "video-file" and ref["format"] == "gif"
    assert (ref["width"], ref["height"], ref["caption"]) == (12, 8, "rise")
    with pil.open(os.path.join(run.dir, ref["path"])) as gif:
        assert gif.n_frames == 5 and gif.size == (12, 8)
        gif.seek(4)
        assert gif.convert("RGB").getpixel((0, 0))[0] == 200
    assert (row["batch"]["width"], row["batch"]["height"]) == (12, 8)
    assert row["file"]["format"] == "mp4" and row["file"]["path"].endswith(".mp4")
    assert row["stream"]["format"] == "gif"
    back = load(ref, run.dir)
    assert isinstance(back, Video) and (back.width, back.height) == (12, 8)


def test_wrong_videos_are_refused(tmp_path: Path) -> None:
    avi = tmp_path / "clip.avi"
    avi.write_bytes(b"RIFF")
    with pytest.raises(UsageValueError, match="the format 'avi' is not one of gif, mp4"):
        Video(avi)
    with pytest.raises(UsageValueError, match=re.escape("Video frames of shape (8, 8)")):
        Video(np.zeros((8, 8)))
    with pytest.raises(UsageValueError, match="needs format="):
        Video(io.BytesIO(b"..."))
    with pytest.raises(UsageTypeError, match="got dict"):
        Video({"frames": 1})


def test_video_frames_as_mp4_without_imageio_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "imageio", None)
    monkeypatch.setitem(sys.modules, "imageio.v2", None)
    with pytest.raises(ImportError) as caught:
        Video(np.zeros((2, 3, 4, 4), dtype=np.uint8), format="mp4")
    message = str(caught.value)
    assert "\n" not in message and "pip install imageio imageio-ffmpeg" in message


def test_html_from_a_string_a_file_and_a_file_object(run: Run, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("<html><body><a href='x'>x</a></body></html>", encoding="utf-8")
    plain = Html("<h1>Hi</h1>", inject=False)
    assert plain.html == "<h1>Hi</h1>"
    injected = Html("<html><body>b</body></html>")
    assert injected.html.startswith('<html><head><base target="_blank">')
    from_file = Html(str(page))
    assert "<a href='x'>" in from_file.html
    assert Html(io.StringIO("<p>io</p>"), inject=False).html == "<p>io</p>"
    assert Html("report.html", data_is_not_path=True, inject=False).html == "report.html"
    run.log({"plain": plain, "page": from_file})
    row = row_of(run)
    assert row["plain"]["_type"] == "html-file" and row["plain"]["path"].endswith(".html")
    assert Path(run.dir, row["plain"]["path"]).read_text(encoding="utf-8") == "<h1>Hi</h1>"
    back = load(row["page"], run.dir)
    assert isinstance(back, Html) and back.html == from_file.html
    with pytest.raises(MediaFileNotFoundError, match=re.escape("'nowhere.html' does not exist")):
        Html("nowhere.html")
    with pytest.raises(UsageTypeError, match="got int"):
        Html(3)


def test_object3d_keeps_model_files_and_stores_points_as_json(run: Run, tmp_path: Path) -> None:
    model = tmp_path / "cube.obj"
    model.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    points = np.array([[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 1.0]])
    scene = {"type": "lidar/beta", "points": points[:, :3], "boxes": np.zeros((0, 3))}
    run.log(
        {
            "model": Object3D(str(model)),
            "points": Object3D(points, caption="cloud"),
            "scene": Object3D(scene),
            "stream": Object3D(io.StringIO("v 0 0 0\n"), file_type="obj"),
        }
    )
    row = row_of(run)
    assert row["model"]["_type"] == "object3D-file" and row["model"]["format"] == "obj"
    assert Path(run.dir, row["model"]["path"]).read_text() == model.read_text()
    ref = row["points"]
    assert ref["format"] == "pts.json" and ref["path"].endswith(".pts.json")
    assert json.loads(Path(run.dir, ref["path"]).read_text()) == points.tolist()
    assert ref["caption"] == "cloud"
    stored_scene = json.loads(Path(run.dir, row["scene"]["path"]).read_text())
    assert stored_scene["type"] == "lidar/beta" and stored_scene["points"] == [
        [0.0, 1.0, 2.0],
        [4.0, 5.0, 6.0],
    ]
    assert row["stream"]["format"] == "obj"
    back = load(ref, run.dir)
    assert isinstance(back, Object3D) and back.format == "pts.json"


def test_wrong_3d_objects_are_refused(tmp_path: Path) -> None:
    (tmp_path / "mesh.fbx").write_text("x")
    with pytest.raises(UsageValueError, match="is not a supported file"):
        Object3D(tmp_path / "mesh.fbx")
    with pytest.raises(UsageValueError, match=re.escape("of shape (3, 5): expected N x 3")):
        Object3D(np.zeros((3, 5)))
    with pytest.raises(UsageValueError, match="only 'lidar/beta'"):
        Object3D({"type": "radar"})
    with pytest.raises(UsageValueError, match="needs file_type="):
        Object3D(io.StringIO("v 0 0 0"))


def test_a_write_the_disk_refuses_raises_and_leaves_no_file(run: Run) -> None:
    pytest.importorskip("PIL")
    noise = np.random.default_rng(5).integers(0, 255, (300, 300, 3), dtype=np.uint8)
    image = Image(noise)  # a PNG of about 270 kB
    run.log({"small": Image(np.zeros((2, 2)))})
    before_files, before_disk = files_of(run), on_disk(run)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    # Files may grow to 64 kB: the image's write fails half-way, as on a full disk.
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, hard))
    try:
        with pytest.raises(StoreError) as caught:
            run.log({"big": image})
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    message = str(caught.value)
    assert "cannot store the image logged as 'big'" in message
    assert os.path.join(run.dir, "media") in message and "File too large" in message
    assert isinstance(caught.value, OSError)
    assert on_disk(run) == before_disk  # no half-written file, no temporary left
    assert files_of(run) == before_files
    run.log({"big": image})  # space again: the same value is stored
    assert len(on_disk(run)) == len(before_disk) + 1


def test_a_list_of_media_and_nested_keys_are_stored(run: Run) -> None:
    pytest.importorskip("PIL")
    run.log({"val": {"images": [Image(np.zeros((2, 2))), Image(np.ones((2, 2)))]}})
    row = row_of(run)
    refs = row["val"]["images"]
    assert [r["_type"] for r in refs] == ["image-file", "image-file"]
    assert refs[0]["path"] != refs[1]["path"]
    assert sorted(files_of(run)) == sorted(r["path"] for r in refs)


def test_media_logged_to_a_finished_run_are_refused(run: Run) -> None:
    run.finish()
    with pytest.raises(UsageError, match="is finished"):
        run.log({"page": Html("<p>late</p>")})


def test_load_refuses_what_is_not_a_media_reference(tmp_path: Path) -> None:
    assert is_ref({"_type": "image-file", "path": "x.png"})
    assert not is_ref({"_type": "something"}) and not is_ref([1])
    with pytest.raises(UsageValueError, match="_type 'something' is not one of"):
        load({"_type": "something"}, str(tmp_path))
    with pytest.raises(UsageValueError, match="a table-file reference without 'path'"):
        load({"_type": "table-file"}, str(tmp_path))
    (tmp_path / "data.xyz").write_text("?")
    with pytest.raises(UsageValueError, match="not a media file runconfig knows"):
        load_file(tmp_path / "data.xyz")


def test_file_media_written_for_an_artifact_read_back_by_their_names(tmp_path: Path) -> None:
    folder = str(tmp_path / "stage")
    page = load_file(Html("<p>a</p>", inject=False).to_file(folder, "page"))
    assert isinstance(page, Html) and page.html == "<p>a</p>"
    assert page.path == os.path.join(folder, "page.html")
    cloud = Object3D(np.zeros((2, 3))).to_file(folder, "cloud")
    assert cloud.endswith("cloud.pts.json") and isinstance(load_file(cloud), Object3D)
    sound = Audio(np.zeros(8), sample_rate=8).to_file(folder, "sound.wav")
    assert sound.endswith("sound.wav") and isinstance(load_file(sound), Audio)


def test_importing_the_media_package_imports_no_heavy_library() -> None:
    code = (
        "import sys, runconfig.media, runconfig.plot\n"
        "print(sorted(m for m in ('numpy', 'PIL', 'matplotlib', 'torch', 'pandas') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"
