"""``Object3D``: a 3-D model file, or a point cloud stored as JSON (``.pts.json``)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from runconfig.errors import UsageTypeError, UsageValueError
from runconfig.media._base import FileSink
from runconfig.media._files import FileMedia, existing_file
from runconfig.values import sanitize

__all__ = ["Object3D"]


class Object3D(FileMedia):
    """A 3-D object to log, kept as given.

    - the path of an ``.obj``, ``.gltf``, ``.glb``, ``.babylon``, ``.stl`` or ``.pts.json``
      file, stored as it is; a file object of one with ``file_type="obj"`` (...);
    - a numpy array of points, ``N x 3`` (x, y, z), ``N x 4`` (x, y, z, category) or
      ``N x 6`` (x, y, z, r, g, b), stored as a ``.pts.json`` file (a JSON list of rows);
    - a scene dict ``{"type": "lidar/beta", "points": ..., "boxes": ..., "vectors":
      ...}``, stored as JSON.

    Logged: ``{"_type": "object3D-file", "path": ..., "sha256": ..., "size": ...,
    "format": "pts.json" | "obj" | ..., "caption"?: ...}``.
    """

    SUPPORTED_TYPES: ClassVar[frozenset[str]] = frozenset(
        {"obj", "gltf", "glb", "babylon", "stl", "pts.json"}
    )
    SUPPORTED_POINT_CLOUD_TYPES: ClassVar[frozenset[str]] = frozenset({"lidar/beta"})
    _log_type: ClassVar[str] = "object3D-file"
    _noun: ClassVar[str] = "3-D object"

    format: str

    def __init__(self, data_or_path: Any, caption: str | None = None, **kwargs: Any) -> None:
        super().__init__(caption)
        if isinstance(data_or_path, (str, os.PathLike)):
            path = existing_file(data_or_path, "Object3D")
            self.format = _format_of(path)
            self._set_source(path, "." + self.format)
        elif hasattr(data_or_path, "read"):
            file_type = kwargs.get("file_type")
            if file_type not in self.SUPPORTED_TYPES:
                raise UsageValueError(
                    "Object3D of a file object needs file_type= one of "
                    + ", ".join(sorted(self.SUPPORTED_TYPES))
                )
            if hasattr(data_or_path, "seek"):
                data_or_path.seek(0)
            content = data_or_path.read()
            data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
            self.format = str(file_type)
            self._set_bytes(data, "." + self.format)
        elif isinstance(data_or_path, Mapping):
            self._set_points(_scene(data_or_path))
        elif hasattr(data_or_path, "shape") or hasattr(data_or_path, "__array__"):
            self._set_points(_points(data_or_path))
        else:
            raise UsageTypeError(
                "Object3D takes a path, a file object, a numpy array of points or a "
                f"lidar/beta scene dict, got {type(data_or_path).__name__}"
            )

    @classmethod
    def from_file(cls, data_or_path: Any, file_type: str | None = None) -> Object3D:
        """An Object3D of a file (a path, or a file object with ``file_type``)."""
        return cls(data_or_path, file_type=file_type)

    @classmethod
    def from_numpy(cls, data: Any) -> Object3D:
        """An Object3D of an ``N x 3``, ``N x 4`` or ``N x 6`` array of points."""
        return cls(data)

    @classmethod
    def from_point_cloud(
        cls,
        points: Sequence[Any],
        boxes: Sequence[Any],
        vectors: Sequence[Any] | None = None,
        point_cloud_type: str = "lidar/beta",
    ) -> Object3D:
        """An Object3D of a scene: points, 3-D boxes and vectors (wandb's lidar/beta)."""
        return cls(
            {"type": point_cloud_type, "points": points, "boxes": boxes, "vectors": vectors or []}
        )

    def _set_points(self, value: Any) -> None:
        try:
            data = json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
        except ValueError:
            raise UsageValueError("Object3D: the points hold NaN or infinite values") from None
        self.format = "pts.json"
        self._set_bytes(data, ".pts.json")

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        ref = self._store(sink, key)
        ref["format"] = self.format
        return self._finish_ref(ref)

    def _load_ref(self, ref: dict[str, Any], run_dir: str) -> None:
        super()._load_ref(ref, run_dir)
        self.format = str(ref.get("format", self._ext.lstrip(".")))


def _format_of(path: str) -> str:
    name = os.path.basename(path).lower()
    for fmt in sorted(Object3D.SUPPORTED_TYPES, key=len, reverse=True):
        if name.endswith("." + fmt):
            return fmt
    raise UsageValueError(
        f"Object3D: {path!r} is not a supported file; expected one of "
        + ", ".join(sorted(Object3D.SUPPORTED_TYPES))
    )


def _points(value: Any) -> Any:
    from runconfig.media._pixels import as_array

    array = as_array(value)
    if array.ndim != 2 or array.shape[1] not in (3, 4, 6):
        raise UsageValueError(
            f"Object3D points of shape {tuple(array.shape)}: expected N x 3 (x, y, z), "
            "N x 4 (x, y, z, category) or N x 6 (x, y, z, r, g, b)"
        )
    return sanitize(array, "Object3D")


def _scene(scene: Mapping[str, Any]) -> dict[str, Any]:
    kind = scene.get("type")
    if kind not in Object3D.SUPPORTED_POINT_CLOUD_TYPES:
        raise UsageValueError(f"Object3D scene of type {kind!r}: only 'lidar/beta' is supported")
    return {
        "type": kind,
        "vectors": sanitize(scene.get("vectors", []), "Object3D.vectors"),
        "points": sanitize(scene.get("points", []), "Object3D.points"),
        "boxes": sanitize(scene.get("boxes", []), "Object3D.boxes"),
    }
