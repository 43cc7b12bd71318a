"""Media: what ``log()`` stores as files, as wandb's data types, and how to read it back.

::

    run.log({
        "examples": [runconfig.media.Image(array, caption="digit 3")],
        "predictions": runconfig.media.Table(columns=["id", "label"], data=rows),
        "weights": runconfig.media.Histogram(layer.weight),
    })

Each value is written under the run's folder (``run.dir``), content-addressed
(``media/<sha256[:2]>/<sha256>.<ext>``: the same image logged twice is stored once), and
recorded in the store; the history row and the summary keep a small reference
(``{"_type": "image-file", "path": ..., "sha256": ..., ...}``). :func:`load` turns a
reference back into an object; :func:`read_table` reads a table file, :func:`load_file`
any file a value's ``to_file`` wrote (how artifacts hold media values).

Nothing heavy is imported here: numpy, Pillow and matplotlib are imported by the values
that need them. Pillow is the extra ``media`` (``pip install 'runconfig[media]'``).
wandb's ``Molecule`` is not provided.
"""

from __future__ import annotations

from runconfig.media._audio import Audio
from runconfig.media._base import Media
from runconfig.media._chart import (
    CustomChart,
    CustomChartSpec,
    Visualize,
    VisualizeSpec,
    plot_table,
    visualize,
)
from runconfig.media._files import FileMedia, MediaFileNotFoundError
from runconfig.media._histogram import Histogram
from runconfig.media._html import Html
from runconfig.media._image import Image
from runconfig.media._load import REF_TYPES, is_ref, load, load_file
from runconfig.media._object3d import Object3D
from runconfig.media._table import Table, read_table
from runconfig.media._video import Video

__all__ = [
    "REF_TYPES",
    "Audio",
    "CustomChart",
    "CustomChartSpec",
    "FileMedia",
    "Histogram",
    "Html",
    "Image",
    "Media",
    "MediaFileNotFoundError",
    "Object3D",
    "Table",
    "Video",
    "Visualize",
    "VisualizeSpec",
    "is_ref",
    "load",
    "load_file",
    "plot_table",
    "read_table",
    "visualize",
]
