"""Image: every accepted input logged to a real run, stored, read back; the refusals."""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import runconfig
from runconfig._run import Run
from runconfig.api import RunRecord
from runconfig.errors import RunconfigError, UsageTypeError, UsageValueError
from runconfig.media import Image, MediaFileNotFoundError, load
from runconfig.store import open_store

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    monkeypatch.delenv("RUNCONFIG_FILES", raising=False)
    monkeypatch.delenv("WANDB_DIR", raising=False)
    r = runconfig.init(project="p", store=str(tmp_path / "s.db"))
    yield r
    r.finish()


def read_back(run: Run) -> RunRecord:
    run.finish()
    with runconfig.Api(store=run._store.location) as api:  # type: ignore[union-attr]
        return api.run(run.id)


def stored_pixels(run: Run, ref: dict[str, Any]) -> Any:
    with PIL.open(os.path.join(run.dir, ref["path"])) as image:
        return image.mode, np.asarray(image)


def files_of(run: Run) -> list[Any]:
    store = open_store(run._store.location)  # type: ignore[union-attr]
    try:
        data = store.get_run(run.id, None)
        assert data is not None and data.rid is not None
        return store.list_files(data.rid)
    finally:
        store.close()


def test_an_image_of_an_array_is_a_png_file_referenced_by_history_and_summary(run: Run) -> None:
    pixels = np.arange(6 * 4 * 3, dtype=np.uint8).reshape(6, 4, 3)
    run.log({"examples": Image(pixels, caption="first")})
    record = read_back(run)

    ref = record.history[0]["examples"]  # type: ignore[index]
    assert ref["_type"] == "image-file"
    assert ref["format"] == "png" and (ref["width"], ref["height"]) == (4, 6)
    assert ref["caption"] == "first"
    assert ref["path"] == f"media/{ref['sha256'][:2]}/{ref['sha256']}.png"
    path = os.path.join(run.dir, ref["path"])
    assert os.path.getsize(path) == ref["size"]
    mode, back = stored_pixels(run, ref)
    assert mode == "RGB" and (back == pixels).all()
    assert record.summary["examples"]["path"] == ref["path"]
    [entry] = files_of(run)
    assert (entry.path, entry.kind, entry.sha256, entry.size) == (
        ref["path"],
        "media",
        ref["sha256"],
        ref["size"],
    )


@pytest.mark.parametrize(
    ("shape", "mode", "size"),
    [
        ((5, 7), "L", (7, 5)),
        ((5, 7, 1), "L", (7, 5)),
        ((5, 7, 3), "RGB", (7, 5)),
        ((5, 7, 4), "RGBA", (7, 5)),
        ((3, 5, 7), "RGB", (7, 5)),  # CxHxW, torch's layout
        ((1, 5, 7), "L", (7, 5)),
        ((1, 1, 5, 7, 3), "RGB", (7, 5)),  # a batch of one
    ],
    ids=["HxW", "HxWx1", "HxWx3", "HxWx4", "CHW-3", "CHW-1", "batch-of-one"],
)
def test_wandb_array_shapes_are_accepted(
    run: Run, shape: tuple[int, ...], mode: str, size: tuple[int, int]
) -> None:
    ref = Image(np.full(shape, 200, dtype=np.uint8)).to_ref(run, "img")
    assert (ref["width"], ref["height"]) == size
    stored_mode, back = stored_pixels(run, ref)
    assert stored_mode == mode and (back == 200).all()


def test_floats_in_0_1_are_scaled_to_0_255_and_integers_kept(run: Run) -> None:
    floats = np.array([[0.0, 0.5, 1.0]])
    assert stored_pixels(run, Image(floats).to_ref(run, "f"))[1].tolist() == [[0, 128, 255]]
    ints = np.array([[0, 7, 255]], dtype=np.int64)
    assert stored_pixels(run, Image(ints).to_ref(run, "i"))[1].tolist() == [[0, 7, 255]]
    as_is = np.array([[0.0, 0.5, 1.0]])
    ref = Image(as_is, normalize=False).to_ref(run, "n")
    assert stored_pixels(run, ref)[1].tolist() == [[0, 0, 1]]
    negative = np.array([[-1.0, 0.0, 1.0]])  # rescaled from its own range, as wandb did
    assert stored_pixels(run, Image(negative).to_ref(run, "m"))[1].tolist() == [[0, 128, 255]]
    bools = np.array([[True, False]])
    assert stored_pixels(run, Image(bools).to_ref(run, "b"))[1].tolist() == [[255, 0]]


def test_a_torch_tensor_is_read_channels_first(run: Run) -> None:
    torch = pytest.importorskip("torch")
    tensor = torch.zeros(3, 4, 6, requires_grad=True)
    with torch.no_grad():
        tensor[0] += 1.0  # a red image
    ref = Image(tensor).to_ref(run, "t")
    assert (ref["width"], ref["height"]) == (6, 4)
    mode, back = stored_pixels(run, ref)
    assert mode == "RGB" and back[0, 0].tolist() == [255, 0, 0]


def test_a_pil_image_is_encoded_as_the_file_type_asked(run: Run) -> None:
    pil = PIL.new("RGBA", (9, 4), (10, 20, 30, 255))
    png = Image(pil).to_ref(run, "png")
    assert png["format"] == "png" and png["path"].endswith(".png")
    jpg = Image(pil, file_type="jpg").to_ref(run, "jpg")
    assert jpg["format"] == "jpg" and jpg["path"].endswith(".jpg")
    with PIL.open(os.path.join(run.dir, jpg["path"])) as back:
        assert back.format == "JPEG" and back.size == (9, 4)
    gray = Image(pil, mode="L").to_ref(run, "gray")
    assert stored_pixels(run, gray)[0] == "L"
    with pytest.raises(UsageValueError, match="mode 'F' cannot be written as png"):
        Image(PIL.new("F", (2, 2)))


def test_a_matplotlib_figure_logged_directly_is_stored_as_a_png(run: Run) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [1, 0])
    try:
        run.log({"curve": fig})
        run.log({"current": plt})  # the pyplot module: its current figure, as wandb takes it
        run.log({"wrapped": Image(ax, caption="axes")})
    finally:
        plt.close(fig)
    history = read_back(run).history or []
    refs = [history[0]["curve"], history[1]["current"], history[2]["wrapped"]]
    assert all(r["_type"] == "image-file" and r["format"] == "png" for r in refs)
    assert [(r["width"], r["height"]) for r in refs] == [(100, 50)] * 3
    assert refs[0]["path"] == refs[1]["path"] == refs[2]["path"]  # one figure, one file
    with PIL.open(os.path.join(run.dir, refs[0]["path"])) as image:
        assert image.format == "PNG" and image.size == (100, 50)


def test_an_image_file_is_stored_as_it_is(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    PIL.new("RGB", (12, 8), "white").save(source, format="JPEG")
    ref = Image(str(source), caption="photo").to_ref(run, "photo")
    assert ref["format"] == "jpg" and (ref["width"], ref["height"]) == (12, 8)
    assert ref["path"].endswith(".jpg")
    stored = Path(run.dir, ref["path"]).read_bytes()
    assert stored == source.read_bytes()
    png = tmp_path / "small.png"
    PIL.new("L", (3, 2)).save(png)
    assert (Image(png).width, Image(png).height) == (3, 2)  # a Path too


def test_the_same_image_logged_twice_is_stored_once(run: Run) -> None:
    pixels = np.random.default_rng(1).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    run.log({"a": Image(pixels)})
    run.log({"a": Image(pixels), "b": [Image(pixels), Image(pixels.copy())]})
    run.log({"a": Image(255 - pixels)})
    history = read_back(run).history or []
    first = history[0]["a"]["path"]
    assert history[1]["a"]["path"] == first
    assert [r["path"] for r in history[1]["b"]] == [first, first]
    assert history[2]["a"]["path"] != first
    files = [p for _, _, names in os.walk(os.path.join(run.dir, "media")) for p in names]
    assert len(files) == 2 and not any(name.endswith(".tmp") for name in files)
    assert len(files_of(run)) == 2
    umask = os.umask(0)
    os.umask(umask)
    mode = os.stat(os.path.join(run.dir, first)).st_mode & 0o777
    assert mode == 0o666 & ~umask  # as open() makes files: readable by a page's server


def test_caption_boxes_masks_and_classes_are_kept_in_the_reference(run: Run) -> None:
    boxes = {
        "predictions": {
            "box_data": [
                {"position": {"minX": 0.1, "maxX": 0.2, "minY": 0.3, "maxY": 0.4}, "class_id": 1}
            ],
            "class_labels": {1: "cat"},
        }
    }
    mask = np.zeros((4, 5), dtype=np.uint8)
    mask[1:3, 1:4] = 2
    masks = {"ground_truth": {"mask_data": mask, "class_labels": {2: "dog"}}}
    image = Image(
        np.zeros((4, 5, 3)),
        caption="scene",
        boxes=boxes,
        masks=masks,
        classes=[{"id": 1, "name": "cat"}],
        grouping=3,
    )
    run.log({"scene": image})
    ref = (read_back(run).history or [])[0]["scene"]
    assert ref["boxes"] == {
        "predictions": {
            "box_data": boxes["predictions"]["box_data"],
            "class_labels": {"1": "cat"},  # JSON keys
        }
    }
    stored_mask = ref["masks"]["ground_truth"]
    assert stored_mask["_type"] == "mask" and stored_mask["class_labels"] == {"2": "dog"}
    with PIL.open(os.path.join(run.dir, stored_mask["path"])) as back:
        assert (np.asarray(back) == mask).all()
    assert ref["classes"] == [{"id": 1, "name": "cat"}] and ref["grouping"] == 3
    assert len(files_of(run)) == 2  # the image and its mask


def test_an_image_read_back_opens_its_file(run: Run) -> None:
    pixels = np.full((3, 5), 9, dtype=np.uint8)
    run.log({"img": Image(pixels, caption="nine")})
    ref = (read_back(run).history or [])[0]["img"]
    image = load(ref, run.dir)
    assert isinstance(image, Image)
    assert image.path == os.path.join(run.dir, ref["path"])
    assert (image.width, image.height, image.caption, image.format) == (5, 3, "nine", "png")
    with image.open() as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    assert (np.asarray(image.image) == 9).all()


def test_a_copy_of_an_image_keeps_its_pixels_and_takes_a_new_caption(run: Run) -> None:
    original = Image(np.zeros((2, 2)), caption="a")
    copy = Image(original, caption="b")
    assert copy.to_ref(run, "x")["path"] == original.to_ref(run, "y")["path"]
    assert copy.caption == "b" and original.caption == "a"


def _complex() -> Any:
    return np.zeros((4, 4), dtype=np.complex128)


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: np.zeros((10, 28, 28)), UsageValueError, "shape (10, 28, 28) is not an image"),
        (lambda: np.zeros(7), UsageValueError, "shape (7,) is not an image"),
        (lambda: np.zeros((0, 4)), UsageValueError, "0x4 pixels"),
        (_complex, UsageTypeError, "dtype complex128 is not pixels"),
        (lambda: np.array([["a"]]), UsageTypeError, "dtype <U1"),
        (lambda: np.array([[0, 300]]), UsageValueError, "0-255, this one has 0 to 300"),
        (lambda: np.array([[0.0, np.nan]]), UsageValueError, "NaN"),
        (lambda: {"pixels": 1}, UsageTypeError, "got dict"),
    ],
    ids=["batch", "1-d", "empty", "complex", "strings", "ints-out-of-range", "nan", "a-dict"],
)
def test_a_wrong_image_array_is_refused_naming_what_was_wrong(
    make: Any, error: type[Exception], words: str
) -> None:
    with pytest.raises(error) as caught:
        Image(make())
    assert words in str(caught.value)
    assert isinstance(caught.value, RunconfigError)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"file_type": "tiff"}, UsageValueError, "file_type='tiff' is not one of png, jpg"),
        ({"normalize": False, "data": 300.0}, UsageValueError, "normalize=False"),
        ({"boxes": [1]}, UsageTypeError, "boxes"),
        ({"masks": {"m": {"mask_data": np.zeros((2, 2, 2))}}}, UsageValueError, "2-D array"),
        ({"masks": {"m": {"class_labels": {}}}}, UsageValueError, "'mask_data' or 'path'"),
    ],
    ids=["file-type", "out-of-range-not-normalized", "boxes-not-a-dict", "mask-3d", "mask-empty"],
)
def test_wrong_image_options_are_refused(
    kwargs: dict[str, Any], error: type[Exception], words: str
) -> None:
    kwargs = dict(kwargs)
    data = np.full((2, 2), kwargs.pop("data", 0.5))
    with pytest.raises(error) as caught:
        Image(data, **kwargs)
    assert words in str(caught.value)


def test_a_missing_or_unreadable_image_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaFileNotFoundError, match=re.escape("'nope.png' does not exist")):
        Image("nope.png")
    with pytest.raises(FileNotFoundError):  # as wandb's (from Pillow) was
        Image(tmp_path / "missing.jpg")
    with pytest.raises(MediaFileNotFoundError, match="is a folder"):
        Image(str(tmp_path))
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(UsageValueError, match="not an image file Pillow can read"):
        Image(text)


def test_a_file_removed_before_it_is_logged_is_named(run: Run, tmp_path: Path) -> None:
    source = tmp_path / "gone.png"
    PIL.new("L", (2, 2)).save(source)
    image = Image(source)
    source.unlink()
    with pytest.raises(
        MediaFileNotFoundError, match=re.escape("gone.png' was removed before it was stored")
    ):
        run.log({"gone": image})
    assert files_of(run) == []


def test_without_pillow_an_image_of_an_array_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, run: Run, tmp_path: Path
) -> None:
    png = tmp_path / "kept.png"
    PIL.new("L", (4, 3)).save(png)
    for name in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError) as caught:
        Image(np.zeros((2, 2)))
    message = str(caught.value)
    assert "\n" not in message and "pip install 'runconfig[media]'" in message
    # What needs no Pillow still works: a file (its size read from its header).
    ref = Image(png).to_ref(run, "kept")
    assert (ref["width"], ref["height"]) == (4, 3)


def test_image_sizes_are_read_from_png_gif_bmp_and_jpeg_headers(tmp_path: Path) -> None:
    from runconfig.media._pixels import header_size

    for fmt in ("PNG", "GIF", "BMP", "JPEG"):
        out = io.BytesIO()
        PIL.new("RGB", (13, 7)).save(out, format=fmt)
        out.seek(0)
        assert header_size(out) == (13, 7), fmt
