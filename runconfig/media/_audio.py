"""``Audio``: a sound file, or samples written as a WAV file with the standard library."""

from __future__ import annotations

import io
import os
import wave
from typing import Any, ClassVar

from runconfig.errors import UsageTypeError, UsageValueError
from runconfig.media._base import FileSink
from runconfig.media._files import FileMedia, existing_file

__all__ = ["Audio"]

_MAX_CHANNELS = 32


class Audio(FileMedia):
    """A sound to log: the path of an audio file (stored as it is), or samples.

    Samples are a numpy array (or a tensor) of shape ``(samples,)`` or ``(samples,
    channels)``, as soundfile takes them, with ``sample_rate`` (required for samples):
    floats in [-1, 1] are written as 16-bit PCM, ``int16``, ``int32`` and ``uint8``
    samples as they are, in a WAV file (no soundfile needed).

    Logged: ``{"_type": "audio-file", "path": ..., "sha256": ..., "size": ...,
    "sample_rate"?: ..., "duration"?: seconds, "caption"?: ...}``.
    """

    _log_type: ClassVar[str] = "audio-file"
    _noun: ClassVar[str] = "audio"

    sample_rate: int | None
    duration: float | None

    def __init__(
        self, data_or_path: Any, sample_rate: int | None = None, caption: str | None = None
    ) -> None:
        super().__init__(caption)
        self.sample_rate = None if sample_rate is None else int(sample_rate)
        self.duration = None
        if isinstance(data_or_path, (str, os.PathLike)):
            path = existing_file(data_or_path, "Audio")
            self._set_source(path, os.path.splitext(path)[1].lower())
            return
        if sample_rate is None:
            raise UsageValueError(
                'Argument "sample_rate" is required when instantiating Audio with raw data'
            )
        if self.sample_rate is None or self.sample_rate <= 0:
            raise UsageValueError(f"Audio(sample_rate={sample_rate!r}): expected a positive int")
        data, frames = _wav(data_or_path, self.sample_rate)
        self._set_bytes(data, ".wav")
        self.duration = frames / self.sample_rate

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        ref = self._store(sink, key)
        if self.sample_rate is not None:
            ref["sample_rate"] = self.sample_rate
        if self.duration is not None:
            ref["duration"] = self.duration
        return self._finish_ref(ref)

    def _load_ref(self, ref: dict[str, Any], run_dir: str) -> None:
        super()._load_ref(ref, run_dir)
        self.sample_rate = ref.get("sample_rate")
        self.duration = ref.get("duration")


def _wav(value: Any, sample_rate: int) -> tuple[bytes, int]:
    import numpy as np

    from runconfig.media._pixels import as_array

    try:
        samples = as_array(value)
    except (TypeError, ValueError):
        raise UsageTypeError(
            f"Audio takes a path or an array of samples, got {type(value).__name__}"
        ) from None
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.ndim != 2 or samples.shape[1] > _MAX_CHANNELS:
        raise UsageValueError(
            f"Audio samples of shape {tuple(samples.shape)}: expected (samples,) or "
            f"(samples, channels) with at most {_MAX_CHANNELS} channels (transpose a "
            "(channels, samples) array)"
        )
    kind = samples.dtype.kind
    if kind == "f":
        if not np.isfinite(samples).all():
            raise UsageValueError("Audio samples hold NaN or infinite values")
        pcm, width = (np.clip(samples, -1.0, 1.0) * 32767).round().astype("<i2"), 2
    elif samples.dtype == np.int16:
        pcm, width = samples.astype("<i2"), 2
    elif samples.dtype == np.int32:
        pcm, width = samples.astype("<i4"), 4
    elif samples.dtype == np.uint8:
        pcm, width = samples, 1
    else:
        raise UsageTypeError(
            f"Audio samples of dtype {samples.dtype}: give floats in [-1, 1], int16, int32 or uint8"
        )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(int(samples.shape[1]))
        w.setsampwidth(width)
        w.setframerate(sample_rate)
        w.writeframes(np.ascontiguousarray(pcm).tobytes())
    return out.getvalue(), int(samples.shape[0])
