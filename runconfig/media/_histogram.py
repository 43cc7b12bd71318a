"""``Histogram``: bins and counts, kept inline in the history row (no file)."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from runconfig.errors import UsageTypeError, UsageValueError
from runconfig.media._base import FileSink, Media
from runconfig.media._files import FolderSink

if TYPE_CHECKING:
    from runconfig._run import Run

__all__ = ["Histogram"]


class Histogram(Media):
    """A histogram to log, computed as ``numpy.histogram`` computes it.

    ``Histogram(values)`` bins a sequence, an array or a tensor into ``num_bins`` bins
    (64 by default, 512 at most); ``Histogram(np_histogram=numpy.histogram(values))``
    takes counts and bin edges computed already. ``.histogram`` holds the counts and
    ``.bins`` the edges (one more than the counts).

    Logged, it is stored inline: ``{"_type": "histogram", "values": [...], "bins": [...]}``.
    """

    MAX_LENGTH: ClassVar[int] = 512
    _log_type: ClassVar[str] = "histogram"

    histogram: list[Any]
    bins: list[Any]

    def __init__(
        self,
        sequence: Sequence[Any] | Any | None = None,
        np_histogram: tuple[Any, Any] | None = None,
        num_bins: int = 64,
    ) -> None:
        if np_histogram is not None:
            if not isinstance(np_histogram, (tuple, list)) or len(np_histogram) != 2:
                raise UsageValueError(
                    "Histogram(np_histogram=...) takes (counts, bin_edges), as "
                    "numpy.histogram returns them"
                )
            self.histogram = _as_list(np_histogram[0])
            self.bins = _as_list(np_histogram[1])
        elif sequence is None:
            raise UsageValueError("Histogram needs a sequence of values or np_histogram=")
        else:
            self.histogram, self.bins = _compute(sequence, num_bins)
        if len(self.histogram) > self.MAX_LENGTH:
            raise UsageValueError(
                f"Histogram of {len(self.histogram)} bins: the maximum length of a "
                f"histogram is {self.MAX_LENGTH}"
            )
        if len(self.bins) != len(self.histogram) + 1:
            raise UsageValueError(
                f"Histogram: {len(self.bins)} bin edges for {len(self.histogram)} counts; "
                "len(bins) must be len(histogram) + 1"
            )

    def to_ref(self, run: Run, key: str) -> dict[str, Any]:
        """The histogram inline (nothing is written)."""
        return self._write(run, key)

    def _write(self, sink: FileSink, key: str) -> dict[str, Any]:
        return {"_type": self._log_type, "values": list(self.histogram), "bins": list(self.bins)}

    def to_file(self, folder: str, name: str) -> str:
        """Write the histogram as ``<folder>/<name>.histogram.json`` (its reference as
        JSON: how an artifact holds it); its path."""
        from runconfig.media._files import write_named

        ext = ".histogram.json"
        path = os.path.join(folder, name if name.endswith(ext) else name + ext)
        body = json.dumps(self._write(FolderSink(folder), name), separators=(",", ":"))
        write_named(path, body.encode("utf-8"), None, f"the histogram {name!r}")
        return path

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Histogram):
            return NotImplemented
        return self.histogram == other.histogram and self.bins == other.bins

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Histogram {len(self.histogram)} bins>"


def _as_list(value: Any) -> list[Any]:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise UsageTypeError(f"Histogram: expected a sequence of numbers, got {value!r}")
    return [v.item() if hasattr(v, "item") else v for v in value]


def _compute(sequence: Any, num_bins: int) -> tuple[list[Any], list[Any]]:
    try:
        import numpy as np
    except ImportError:
        raise ImportError("Histogram of a sequence needs numpy: pip install numpy") from None
    from runconfig.media._pixels import as_array

    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
        raise UsageValueError(f"Histogram(num_bins={num_bins!r}): expected a positive int")
    if num_bins > Histogram.MAX_LENGTH:
        raise UsageValueError(
            f"Histogram(num_bins={num_bins}): the maximum length of a histogram is "
            f"{Histogram.MAX_LENGTH}"
        )
    try:
        values = as_array(sequence)
        values = values.astype(np.float64) if values.dtype.kind == "b" else values
        if values.dtype.kind not in "uif":
            raise TypeError(values.dtype)
    except (TypeError, ValueError):
        raise UsageTypeError(
            f"Histogram takes a sequence of numbers, got {type(sequence).__name__}"
        ) from None
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(values.size - np.count_nonzero(finite))
        raise UsageValueError(
            f"Histogram: {bad} of the {values.size} values are NaN or infinite; drop them "
            "first (values[numpy.isfinite(values)])"
        )
    counts, edges = np.histogram(values, bins=num_bins)
    return counts.tolist(), edges.tolist()
