"""Pixels: arrays and tensors to 8-bit images, and image sizes read from file headers.

numpy and Pillow are imported where they are needed, never at import of the package.
"""

from __future__ import annotations

import struct
from typing import IO, Any

from runconfig.errors import UsageTypeError, UsageValueError
from runconfig.media._files import INSTALL_MEDIA

__all__ = [
    "MAX_DIMENSION",
    "as_array",
    "encode_image",
    "header_size",
    "is_torch_tensor",
    "pil_module",
    "to_pixels",
    "to_uint8",
]

#: Pillow's limit on a side, as wandb's ``Image.MAX_DIMENSION``.
MAX_DIMENSION = 65500

_CHANNELS = (1, 3, 4)
_PIL_FORMATS = {"png": "PNG", "jpg": "JPEG", "jpeg": "JPEG", "bmp": "BMP"}


def pil_module(what: str) -> Any:
    """``PIL.Image``, or an ``ImportError`` saying in one line what to install."""
    try:
        from PIL import Image as pil_image
    except ImportError:
        raise ImportError(f"{what} needs Pillow: {INSTALL_MEDIA}") from None
    return pil_image


def is_torch_tensor(value: Any) -> bool:
    """A torch tensor, told without importing torch."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def as_array(value: Any) -> Any:
    """A numpy array of ``value``: an array, a torch tensor (detached, moved to the CPU),
    a TensorFlow eager tensor or anything numpy takes."""
    import numpy as np

    if is_torch_tensor(value):
        tensor = value.detach().cpu()
        if not tensor.dtype.is_floating_point and not tensor.dtype.is_complex:
            return tensor.numpy()
        return tensor.float().numpy()  # float16/bfloat16 have no numpy twin
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value)


def to_pixels(value: Any, what: str, normalize: bool = True, channels_first: bool = False) -> Any:
    """An ``uint8`` array of shape ``(H, W)`` or ``(H, W, 3|4)`` for the image ``value``.

    Accepted shapes: ``HxW``, ``HxWxC`` and ``CxHxW`` (torch's), with C in 1, 3, 4, and
    leading axes of length 1 (a batch of one). ``channels_first`` prefers ``CxHxW`` when
    both readings fit (a tensor). Values: bools as black and white; integers as they are
    (0-255); floats, with ``normalize``, scaled from [0, 1] to [0, 255] (from their own
    range first when some are negative), else taken as 0-255.
    """
    import numpy as np

    array = as_array(value)
    shape = tuple(array.shape)
    while array.ndim > 3 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 3:
        first, last = array.shape[0] in _CHANNELS, array.shape[-1] in _CHANNELS
        if first and (channels_first or not last):
            array = np.moveaxis(array, 0, -1)
        elif not last:
            raise UsageValueError(
                f"{what}: an array of shape {shape} is not an image; give HxW, HxWxC or "
                "CxHxW with C in 1, 3, 4 (for a batch of images, log a list of Images)"
            )
        if array.shape[-1] == 1:
            array = array[..., 0]
    elif array.ndim != 2:
        raise UsageValueError(
            f"{what}: an array of shape {shape} is not an image; give HxW, HxWxC or CxHxW "
            "with C in 1, 3, 4"
        )
    height, width = array.shape[:2]
    if height == 0 or width == 0 or max(height, width) > MAX_DIMENSION:
        raise UsageValueError(
            f"{what}: an image of {height}x{width} pixels; each side must be 1 to {MAX_DIMENSION}"
        )
    return to_uint8(array, what, normalize)


def to_uint8(array: Any, what: str, normalize: bool) -> Any:
    """``array``'s values as ``uint8`` pixels (see :func:`to_pixels` for the rules)."""
    import numpy as np

    kind = array.dtype.kind
    if kind == "b":
        return array.astype(np.uint8) * np.uint8(255)
    if kind in "ui":
        if array.dtype == np.uint8:
            return array
        lowest, highest = int(array.min()), int(array.max())
        if lowest < 0 or highest > 255:
            raise UsageValueError(
                f"{what}: an integer image takes values 0-255, this one has {lowest} to {highest}; "
                "scale it, or give floats in [0, 1]"
            )
        return array.astype(np.uint8)
    if kind != "f":
        raise UsageTypeError(
            f"{what}: an image array of dtype {array.dtype} is not pixels; give bool, "
            "integer (0-255) or float values"
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise UsageValueError(f"{what}: the image array holds NaN or infinite values")
    if normalize:
        low, high = float(array.min()), float(array.max())
        if low < 0:
            array = (array - low) / (high - low) if high > low else np.zeros_like(array)
            high = float(array.max())
        if high <= 1.0:
            array = array * 255.0
    else:
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 255:
            raise UsageValueError(
                f"{what}: with normalize=False the values must be in [0, 255], this image "
                f"has {low:g} to {high:g}"
            )
    return np.rint(array).clip(0, 255).astype(np.uint8)


def encode_image(image: Any, file_type: str, mode: str | None, what: str) -> bytes:
    """A Pillow image encoded as ``file_type`` (png, jpg, jpeg or bmp)."""
    if file_type not in _PIL_FORMATS:
        raise UsageValueError(
            f"{what}: file_type={file_type!r} is not one of {', '.join(_PIL_FORMATS)}"
        )
    if mode is not None:
        try:
            image = image.convert(mode)
        except ValueError as e:
            raise UsageValueError(f"{what}: cannot convert to mode {mode!r}: {e}") from None
    if _PIL_FORMATS[file_type] == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")  # JPEG keeps no transparency
    import io

    out = io.BytesIO()
    try:
        image.save(out, format=_PIL_FORMATS[file_type])
    except (OSError, ValueError, KeyError) as e:  # a mode the format cannot hold ("F")
        raise UsageValueError(
            f"{what}: a Pillow image of mode {image.mode!r} cannot be written as {file_type} "
            f"({e}); pass mode='RGB' or mode='L'"
        ) from None
    return out.getvalue()


def header_size(f: IO[bytes]) -> tuple[int, int] | None:
    """``(width, height)`` from the header of a PNG, GIF, BMP or JPEG file, else None."""
    head = f.read(32)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
        return int(width), int(height)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", head[6:10])
        return int(width), int(height)
    if head[:2] == b"BM" and len(head) >= 26:
        width, height = struct.unpack("<ii", head[18:26])
        return abs(int(width)), abs(int(height))
    if head[:2] == b"\xff\xd8":
        f.seek(2)
        return _jpeg_size(f)
    return None


# The JPEG start-of-frame markers that carry the size (C4, C8 and CC are other tables).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(f: IO[bytes]) -> tuple[int, int] | None:
    while True:
        byte = f.read(1)
        while byte and byte != b"\xff":
            byte = f.read(1)
        while byte == b"\xff":
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker in _SOF:
            frame = f.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return int(width), int(height)
        f.seek(length - 2, 1)
