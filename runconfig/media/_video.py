"""``Video``: a video file, or frames encoded as a GIF (Pillow) or mp4/webm/ogg (imageio)."""

from __future__ import annotations

import io
import math
import os
import tempfile
from typing import Any, ClassVar

from runconfig.errors import UsageTypeError, UsageValueError
from runconfig.media._base import FileSink
from runconfig.media._files import FileMedia, existing_file
from runconfig.media._pixels import as_array, pil_module, to_uint8

__all__ = ["Video"]


class Video(FileMedia):
    """A video to log: the path of a gif, mp4, webm or ogg file (stored as it is), a file
    object of one (``format`` required), or frames.

    Frames are a numpy array (or a tensor) of shape ``(time, channels, height, width)``
    or ``(batch, time, channels, height, width)`` (a batch is tiled in a grid), with 1, 3
    or 4 channels; values as :class:`Image` takes them. They are encoded at ``fps``
    frames per second (4 by default) as ``format``: "gif" (the default for frames; needs
    Pillow, ``pip install 'runconfig[media]'``) or "mp4", "webm", "ogg" (need imageio
    and imageio-ffmpeg).

    Logged: ``{"_type": "video-file", "path": ..., "sha256": ..., "size": ..., "format":
    ..., "width"?: ..., "height"?: ..., "caption"?: ...}``.
    """

    EXTS: ClassVar[tuple[str, ...]] = ("gif", "mp4", "webm", "ogg")
    _log_type: ClassVar[str] = "video-file"
    _noun: ClassVar[str] = "video"

    format: str
    width: int | None
    height: int | None
    fps: int | None

    def __init__(
        self,
        data_or_path: Any,
        caption: str | None = None,
        fps: int | None = None,
        format: str | None = None,
    ) -> None:
        super().__init__(caption)
        self.width = self.height = None
        self.fps = None
        if isinstance(data_or_path, (str, os.PathLike)):
            path = existing_file(data_or_path, "Video")
            self.format = _check_format(os.path.splitext(path)[1][1:].lower(), path)
            self._set_source(path, "." + self.format)
        elif hasattr(data_or_path, "read"):
            if format is None:
                raise UsageValueError(
                    "Video of a file object needs format= (one of " + ", ".join(self.EXTS) + ")"
                )
            self.format = _check_format(format.lower(), "a file object")
            content = data_or_path.read()
            if isinstance(content, str):
                raise UsageTypeError("Video of a file object: open the file in binary mode")
            self._set_bytes(bytes(content), "." + self.format)
        else:
            self.format = _check_format((format or "gif").lower(), "frames")
            self.fps = 4 if fps is None else int(fps)
            if self.fps <= 0:
                raise UsageValueError(f"Video(fps={fps!r}): expected a positive number")
            frames = _frames(data_or_path)
            _, self.height, self.width, _ = (int(n) for n in frames.shape)
            self._set_bytes(_encode(frames, self.format, self.fps), "." + self.format)

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        ref = self._store(sink, key)
        ref["format"] = self.format
        if self.width is not None:
            ref["width"], ref["height"] = self.width, self.height
        return self._finish_ref(ref)

    def _load_ref(self, ref: dict[str, Any], run_dir: str) -> None:
        super()._load_ref(ref, run_dir)
        self.format = str(ref.get("format", self._ext[1:]))
        self.width, self.height = ref.get("width"), ref.get("height")
        self.fps = None


def _check_format(fmt: str, source: str) -> str:
    if fmt not in Video.EXTS:
        raise UsageValueError(
            f"Video of {source}: the format {fmt!r} is not one of {', '.join(Video.EXTS)}"
        )
    return fmt


def _frames(value: Any) -> Any:
    """``(time, height, width, channels)`` uint8 frames, a batch tiled in a grid."""
    import numpy as np

    try:
        video = as_array(value)
    except (TypeError, ValueError):
        video = None
    if video is None or video.dtype == object:
        raise UsageTypeError(
            f"Video takes a path, a file object or an array of frames, got {type(value).__name__}"
        )
    shape = tuple(video.shape)
    if video.ndim == 4:
        video = video[None]
    if video.ndim != 5 or video.shape[2] not in (1, 3, 4) or 0 in video.shape:
        raise UsageValueError(
            f"Video frames of shape {shape}: expected (time, channels, height, width) or "
            "(batch, time, channels, height, width), with 1, 3 or 4 channels"
        )
    batch, time, channels, height, width = video.shape
    cols = math.ceil(math.sqrt(batch))
    rows = math.ceil(batch / cols)
    if rows * cols > batch:
        pad = np.zeros((rows * cols - batch, *video.shape[1:]), dtype=video.dtype)
        video = np.concatenate([video, pad])
    # (rows, cols, time, channels, h, w) -> (time, rows, h, cols, w, channels)
    grid = video.reshape(rows, cols, time, channels, height, width).transpose(2, 0, 4, 1, 5, 3)
    grid = grid.reshape(time, rows * height, cols * width, channels)
    return to_uint8(np.ascontiguousarray(grid), "Video", normalize=True)


def _encode(frames: Any, fmt: str, fps: int) -> bytes:
    if fmt == "gif":
        pil = pil_module("runconfig.Video of frames as a GIF")
        channels = frames.shape[-1]
        images = [pil.fromarray(f[..., 0] if channels == 1 else f) for f in frames]
        out = io.BytesIO()
        images[0].save(
            out,
            format="GIF",
            save_all=True,
            append_images=images[1:],
            duration=max(1, round(1000 / fps)),
            loop=0,
        )
        return out.getvalue()
    try:
        import imageio.v2 as imageio  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        raise ImportError(
            f"runconfig.Video of frames as {fmt} needs imageio with ffmpeg: pip install "
            "imageio imageio-ffmpeg (or use format='gif', which needs only Pillow)"
        ) from None
    if frames.shape[-1] == 1:
        frames = frames.repeat(3, axis=-1)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "video." + fmt)
        imageio.mimwrite(path, list(frames[..., :3]), fps=fps)
        with open(path, "rb") as f:
            return f.read()
