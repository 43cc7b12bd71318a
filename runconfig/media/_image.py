"""``Image``: wandb's image value, stored as a PNG (or the file given) in the run's folder."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from runconfig.errors import UsageTypeError, UsageValueError
from runconfig.media._base import FileSink
from runconfig.media._files import FileMedia, existing_file, store_bytes, store_file
from runconfig.media._pixels import (
    MAX_DIMENSION,
    encode_image,
    header_size,
    is_torch_tensor,
    pil_module,
    to_pixels,
)
from runconfig.values import sanitize

__all__ = ["Image"]


class Image(FileMedia):
    """An image to log: ``run.log({"examples": [Image(array, caption="0")]})``.

    ``data_or_path`` is one of

    - a numpy array: ``HxW``, ``HxWx1``, ``HxWx3`` (RGB), ``HxWx4`` (RGBA), or ``CxHxW``
      (torch's layout) with 1 or 3 channels. Integers are taken as they are (0-255),
      bools as black and white; floats in [0, 1] are scaled to 0-255 when ``normalize``
      (floats with negative values are first rescaled from their own range);
    - a torch tensor (``CxHxW``, or ``HxW``), detached and moved to the CPU first;
    - a Pillow image; ``mode`` converts it (or an array) to a Pillow mode ("L", "RGB"...);
    - a matplotlib figure (or ``matplotlib.pyplot``, meaning its current figure, or an
      axes), rendered by matplotlib's own ``savefig``;
    - a path to an image file, stored as it is (``file_type`` then has no effect);
    - another ``Image``, copied (without its boxes and masks, as wandb does).

    Arrays, tensors and Pillow images are encoded as ``file_type`` ("png", the default,
    "jpg", "jpeg" or "bmp") and need Pillow (``pip install 'runconfig[media]'``).

    ``boxes`` and ``masks`` are dicts as wandb takes them (``{"predictions": {"box_data":
    [...], "class_labels": {...}}}``) and are kept in the reference as given (as JSON); a
    mask's ``mask_data`` array is stored as a PNG file whose path replaces it.
    ``classes`` (``[{"id": 1, "name": "cat"}]``) and ``grouping`` are kept too.

    Logged, an Image becomes ``{"_type": "image-file", "path": "media/ab/ab12...png",
    "sha256": ..., "size": ..., "width": ..., "height": ..., "format": "png"}`` (plus
    ``caption``, ``boxes``, ``masks``, ``classes``, ``grouping`` when given).
    """

    MAX_ITEMS: ClassVar[int] = 108
    MAX_DIMENSION: ClassVar[int] = MAX_DIMENSION
    _log_type: ClassVar[str] = "image-file"
    _noun: ClassVar[str] = "image"

    format: str
    width: int | None
    height: int | None
    grouping: int | None
    classes: list[Any] | None
    boxes: dict[str, Any] | None
    masks: dict[str, Any] | None

    def __init__(
        self,
        data_or_path: Any,
        mode: str | None = None,
        caption: str | None = None,
        grouping: int | None = None,
        classes: Sequence[Mapping[str, Any]] | None = None,
        boxes: Mapping[str, Any] | None = None,
        masks: Mapping[str, Any] | None = None,
        file_type: str | None = None,
        normalize: bool = True,
    ) -> None:
        super().__init__(caption)
        self.width = self.height = None
        self.grouping = grouping
        self.classes = None
        self.boxes = None
        self.masks = None
        self._masks_data: dict[str, bytes] = {}
        what = "Image"
        file_type = None if file_type is None else str(file_type).lower()
        if isinstance(data_or_path, Image):
            self._copy_of(data_or_path, caption)
        elif isinstance(data_or_path, (str, os.PathLike)):
            self._from_path(existing_file(data_or_path, what))
        elif _is_matplotlib(data_or_path):
            self._from_figure(data_or_path, file_type or "png")
        elif _is_pil(data_or_path):
            self._from_pil(data_or_path, file_type or "png", mode, what)
        elif _is_array_like(data_or_path):
            pixels = to_pixels(
                data_or_path, what, normalize, channels_first=is_torch_tensor(data_or_path)
            )
            pil = pil_module("runconfig.Image of an array")
            image = pil.fromarray(_contiguous(pixels))
            self._from_pil(image, file_type or "png", mode, what)
        else:
            raise UsageTypeError(
                "Image takes a numpy array, a torch tensor, a PIL image, a matplotlib "
                f"figure or the path of an image file; got {type(data_or_path).__name__}"
            )
        if classes is not None:
            self.classes = sanitize(list(classes), "Image.classes")
        if boxes is not None:
            if not isinstance(boxes, Mapping):
                raise UsageTypeError(
                    f"Image(boxes=...) takes a dict of box groups, got {type(boxes).__name__}"
                )
            self.boxes = sanitize(dict(boxes), "Image.boxes")
        if masks is not None:
            self._set_masks(masks)

    # -- the inputs --------------------------------------------------------------------------
    def _copy_of(self, other: Image, caption: str | None) -> None:
        self._data, self._source, self._ext = other._data, other._source, other._ext
        self.format, self.width, self.height = other.format, other.width, other.height
        self.sha256, self.size = other.sha256, other.size
        self.caption = other.caption if caption is None else str(caption)
        if self.grouping is None:
            self.grouping = other.grouping
        self.classes = other.classes

    def _from_path(self, path: str) -> None:
        ext = os.path.splitext(path)[1].lower()
        self._set_source(path, ext)
        self.format = ext[1:]
        with open(path, "rb") as f:
            size = header_size(f)
        if size is None:
            size = _size_by_pillow(path)
        if size is not None:
            self.width, self.height = size

    def _from_figure(self, value: Any, file_type: str) -> None:
        figure = _figure_of(value)
        out = io.BytesIO()
        try:
            figure.savefig(out, format=file_type)
        except ValueError as e:  # an unknown format
            raise UsageValueError(f"Image of a figure: file_type={file_type!r}: {e}") from None
        data = out.getvalue()
        self._set_bytes(data, "." + file_type)
        self.format = file_type
        size = header_size(io.BytesIO(data))
        if size is None:
            width, height = figure.canvas.get_width_height(physical=True)
            size = (int(width), int(height))
        self.width, self.height = size

    def _from_pil(self, image: Any, file_type: str, mode: str | None, what: str) -> None:
        data = encode_image(image, file_type, mode, what)
        self._set_bytes(data, "." + file_type)
        self.format = file_type
        self.width, self.height = (int(n) for n in image.size)

    def _set_masks(self, masks: Mapping[str, Any]) -> None:
        if not isinstance(masks, Mapping):
            raise UsageTypeError(
                f"Image(masks=...) takes a dict of masks, got {type(masks).__name__}"
            )
        kept: dict[str, Any] = {}
        for name, mask in masks.items():
            what = f"Image mask {name!r}"
            if not isinstance(mask, Mapping):
                raise UsageTypeError(
                    f"{what}: a mask is a dict with 'mask_data' (an array of class ids) or "
                    f"'path', got {type(mask).__name__}"
                )
            rest = {k: v for k, v in mask.items() if k != "mask_data"}
            if "mask_data" in mask:
                self._masks_data[str(name)] = _mask_png(mask["mask_data"], what)
            elif "path" in mask:
                rest["path"] = os.path.abspath(existing_file(mask["path"], what))
            else:
                raise UsageValueError(f"{what}: a mask needs 'mask_data' or 'path'")
            kept[str(name)] = sanitize(rest, f"Image.masks.{name}")
        self.masks = kept

    # -- reading -----------------------------------------------------------------------------
    @property
    def image(self) -> Any:
        """The image as a Pillow image (needs Pillow)."""
        pil = pil_module("Image.image")
        with self.open() as f:
            image = pil.open(io.BytesIO(f.read()))
        image.load()
        return image

    # -- logging -----------------------------------------------------------------------------
    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        ref = self._store(sink, key)
        ref["width"] = self.width
        ref["height"] = self.height
        ref["format"] = self.format
        if self.grouping is not None:
            ref["grouping"] = self.grouping
        if self.classes is not None:
            ref["classes"] = self.classes
        if self.boxes is not None:
            ref["boxes"] = self.boxes
        if self.masks is not None:
            ref["masks"] = self._mask_refs(sink, key)
        return self._finish_ref(ref)

    def _mask_refs(self, sink: FileSink, key: str) -> dict[str, Any]:
        refs: dict[str, Any] = {}
        for name, mask in (self.masks or {}).items():
            what = f"the mask {name!r} of the image logged as {key!r}"
            mask = dict(mask)
            if name in self._masks_data:
                stored = store_bytes(sink, self._masks_data[name], ".png", what)
            else:
                ext = os.path.splitext(mask["path"])[1].lower()
                stored = store_file(sink, mask["path"], ext, what)
            mask.update(_type="mask", path=stored.path, sha256=stored.sha256, size=stored.size)
            refs[name] = mask
        return refs

    def _load_ref(self, ref: dict[str, Any], run_dir: str) -> None:
        super()._load_ref(ref, run_dir)
        self.format = str(ref.get("format", self._ext[1:]))
        self.width, self.height = ref.get("width"), ref.get("height")
        self.grouping = ref.get("grouping")
        self.classes = ref.get("classes")
        self.boxes = ref.get("boxes")
        self.masks = ref.get("masks")
        self._masks_data = {}
        if self.masks:
            # A stored mask's path is relative to the run's folder; make it usable as is.
            self.masks = {
                name: {**mask, "path": os.path.join(run_dir, *str(mask["path"]).split("/"))}
                if isinstance(mask, dict) and "path" in mask
                else mask
                for name, mask in self.masks.items()
            }

    def __repr__(self) -> str:
        size = f" {self.width}x{self.height}" if self.width is not None else ""
        where = self._source if self._source is not None else "in memory"
        return f"<Image {self.format}{size} {where}>"


def _is_matplotlib(value: Any) -> bool:
    if getattr(value, "__name__", None) == "matplotlib.pyplot":
        return True
    module = type(value).__module__ or ""
    return module.startswith("matplotlib.") and (
        hasattr(value, "savefig") or hasattr(getattr(value, "figure", None), "savefig")
    )


def _figure_of(value: Any) -> Any:
    if getattr(value, "__name__", None) == "matplotlib.pyplot":
        return value.gcf()
    if hasattr(value, "savefig"):
        return value
    return value.figure  # an Axes or another artist


def _is_pil(value: Any) -> bool:
    module = type(value).__module__ or ""
    return module.startswith("PIL.") and hasattr(value, "save") and hasattr(value, "size")


def _is_array_like(value: Any) -> bool:
    return (
        hasattr(value, "__array__")
        or hasattr(value, "__array_interface__")
        or is_torch_tensor(value)
        or (hasattr(value, "numpy") and hasattr(value, "shape"))
        or isinstance(value, (list, tuple))
    )


def _size_by_pillow(path: str) -> tuple[int, int] | None:
    """The size of an image Pillow reads, or None without Pillow; an error for a file
    that Pillow cannot read as an image."""
    try:
        from PIL import Image as pil_image
        from PIL import UnidentifiedImageError
    except ImportError:
        return None
    try:
        with pil_image.open(path) as image:
            return int(image.size[0]), int(image.size[1])
    except UnidentifiedImageError:
        raise UsageValueError(f"Image: {path!r} is not an image file Pillow can read") from None


def _contiguous(array: Any) -> Any:
    import numpy as np

    return np.ascontiguousarray(array)


def _mask_png(value: Any, what: str) -> bytes:
    import numpy as np

    from runconfig.media._pixels import as_array

    array = as_array(value)
    if array.ndim != 2:
        raise UsageValueError(
            f"{what}: mask_data must be a 2-D array of class ids, got shape {tuple(array.shape)}"
        )
    if array.dtype.kind not in "uib":
        raise UsageTypeError(
            f"{what}: mask_data must hold integer class ids, got dtype {array.dtype}"
        )
    if array.size and (int(array.min()) < 0 or int(array.max()) > 255):
        raise UsageValueError(f"{what}: mask_data class ids must be 0-255")
    pil = pil_module("runconfig.Image masks")
    out = io.BytesIO()
    pil.fromarray(np.ascontiguousarray(array.astype(np.uint8))).save(out, format="PNG")
    return out.getvalue()
