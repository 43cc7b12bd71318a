"""Reading back: the object for a stored media reference (a history cell, a summary value)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from runconfig.errors import UsageValueError
from runconfig.media._audio import Audio
from runconfig.media._chart import CustomChart, CustomChartSpec, Visualize, VisualizeSpec
from runconfig.media._files import FileMedia, existing_file
from runconfig.media._histogram import Histogram
from runconfig.media._html import Html
from runconfig.media._image import Image
from runconfig.media._object3d import Object3D
from runconfig.media._table import Table, read_table
from runconfig.media._video import Video

__all__ = ["REF_TYPES", "is_ref", "load", "load_file"]


def _file_media(cls: type[FileMedia]) -> Callable[[dict[str, Any], str], Any]:
    def make(ref: dict[str, Any], run_dir: str) -> Any:
        value = cls.__new__(cls)
        FileMedia.__init__(value)
        value._load_ref(ref, run_dir)
        return value

    return make


def _table(ref: dict[str, Any], run_dir: str) -> Table:
    table = read_table(os.path.join(run_dir, *str(ref["path"]).split("/")), run_dir)
    table.sha256, table.size = ref.get("sha256"), ref.get("size")
    return table


def _histogram(ref: dict[str, Any], run_dir: str) -> Histogram:
    return Histogram(np_histogram=(ref["values"], ref["bins"]))


def _chart(ref: dict[str, Any], run_dir: str) -> CustomChart | Visualize:
    table = _table(ref["table"], run_dir)
    if ref.get("panel") == "viz":
        return Visualize(table, VisualizeSpec(name=str(ref["spec"])))
    spec = CustomChartSpec(
        spec_name=str(ref["spec"]),
        fields=dict(ref.get("fields") or {}),
        string_fields=dict(ref.get("string_fields") or {}),
    )
    return CustomChart(table, spec)


_LOADERS: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "image-file": _file_media(Image),
    "audio-file": _file_media(Audio),
    "video-file": _file_media(Video),
    "html-file": _file_media(Html),
    "object3D-file": _file_media(Object3D),
    "table-file": _table,
    "histogram": _histogram,
    "chart": _chart,
}

#: The ``_type`` of every reference :func:`load` reads.
REF_TYPES = frozenset(_LOADERS)


def is_ref(value: Any) -> bool:
    """Whether ``value`` is a stored media reference (a dict with a known ``_type``)."""
    return isinstance(value, Mapping) and value.get("_type") in REF_TYPES


def load(ref: Mapping[str, Any], run_dir: str) -> Any:
    """The object for the stored reference ``ref`` of the run whose folder is ``run_dir``.

    An ``Image`` (``.path``, ``.open()``, ``.width``, ``.height``, ``.image``), ``Audio``,
    ``Video``, ``Html`` or ``Object3D`` pointing at its stored file; a ``Table`` read from
    its file (``.to_pandas()``; media cells loaded too); a ``Histogram``; a chart
    (``CustomChart`` or ``Visualize``) with its ``.table``. Each can be logged again.
    Files are opened when used: a file removed since raises then, not here.
    """
    kind = ref.get("_type") if isinstance(ref, Mapping) else None
    loader = _LOADERS.get(kind) if isinstance(kind, str) else None
    if loader is None:
        raise UsageValueError(
            f"not a media reference: _type {kind!r} is not one of {', '.join(sorted(REF_TYPES))}"
        )
    try:
        return loader(dict(ref), os.fspath(run_dir))
    except KeyError as e:
        raise UsageValueError(f"a {kind} reference without {e.args[0]!r}: {dict(ref)!r}") from None


_FILE_TYPES: dict[str, type[FileMedia]] = {
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"), Image),
    **dict.fromkeys((".wav", ".mp3", ".flac", ".m4a", ".aac", ".oga"), Audio),
    **dict.fromkeys((".mp4", ".webm", ".ogg"), Video),
    **dict.fromkeys((".html", ".htm"), Html),
    **dict.fromkeys((".obj", ".gltf", ".glb", ".babylon", ".stl", ".pts.json"), Object3D),
}


def load_file(path: str | os.PathLike[str], run_dir: str | None = None) -> Any:
    """The media value in the file ``path``, told by its name: a ``.table.json`` file is a
    :class:`Table` (media cells relative to ``run_dir``, by default the run folder or
    the folder it is in), ``.histogram.json`` a :class:`Histogram`, an image an
    :class:`Image`, and so on (what ``to_file`` writes, for artifacts)."""
    text = existing_file(path, "load_file")
    name = os.path.basename(text).lower()
    if name.endswith(".table.json"):
        return read_table(text, run_dir)
    if name.endswith(".histogram.json"):
        with open(text, encoding="utf-8") as f:
            return load(json.load(f), run_dir or os.path.dirname(text))
    if name.endswith((".html", ".htm")):
        page = Html(text, inject=False)
        page._set_source(text, os.path.splitext(name)[1])  # the file, not a copy in memory
        return page
    for ext, cls in _FILE_TYPES.items():
        if name.endswith(ext):
            return cls(text)
    raise UsageValueError(f"load_file: {text!r} is not a media file runconfig knows")
