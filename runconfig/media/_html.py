"""``Html``: a page (literal HTML, a ``.html`` file or a file object), stored as a file."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from runconfig.errors import UsageTypeError
from runconfig.media._files import FileMedia, MediaFileNotFoundError

__all__ = ["Html"]

# What inject=True adds to <head>: links open outside the frame that shows the page, and
# a plain font. wandb links its own stylesheet there; a local page needs none.
_HEAD = '<base target="_blank"><style>body{font-family:system-ui,sans-serif}</style>'


class Html(FileMedia):
    """HTML to log: ``Html("<h1>Hello</h1>")``, ``Html("report.html")`` or ``Html(file)``.

    As wandb: a string is the path of a file when it names an existing ``.html`` file
    (unless ``data_is_not_path``), else literal HTML; ``inject`` adds to the page's
    ``<head>`` a ``<base target="_blank">`` (and a plain font), so links leave the frame.
    A ``.html`` path that does not exist is an error, rather than a page of its name.

    Logged: ``{"_type": "html-file", "path": ..., "sha256": ..., "size": ...}``.
    """

    _log_type: ClassVar[str] = "html-file"
    _noun: ClassVar[str] = "html"

    html: str

    def __init__(self, data: Any, inject: bool = True, data_is_not_path: bool = False) -> None:
        super().__init__(None)
        if isinstance(data, os.PathLike) or (
            isinstance(data, str) and not data_is_not_path and _looks_like_path(data)
        ):
            path = os.fspath(data)
            if not os.path.isfile(path):
                raise MediaFileNotFoundError(f"Html: {path!r} does not exist")
            with open(path, encoding="utf-8") as f:
                self.html = f.read()
        elif isinstance(data, str):
            self.html = data
        elif hasattr(data, "read"):
            if hasattr(data, "seek"):
                data.seek(0)
            content = data.read()
            self.html = content.decode("utf-8") if isinstance(content, bytes) else str(content)
        else:
            raise UsageTypeError(
                f"Html takes a string of HTML, a path or a file object, got {type(data).__name__}"
            )
        if inject:
            self.html = _inject(self.html)
        self._set_bytes(self.html.encode("utf-8"), ".html")

    def _load_ref(self, ref: dict[str, Any], run_dir: str) -> None:
        super()._load_ref(ref, run_dir)
        self.html = ""
        if self._source is not None and os.path.isfile(self._source):
            with open(self._source, encoding="utf-8") as f:
                self.html = f.read()


def _looks_like_path(text: str) -> bool:
    return text.lower().endswith((".html", ".htm")) and "<" not in text and "\n" not in text


def _inject(html: str) -> str:
    if "<head>" in html:
        before, after = html.split("<head>", 1)
        return f"{before}<head>{_HEAD}{after}"
    if "<html>" in html:
        before, after = html.split("<html>", 1)
        return f"{before}<html><head>{_HEAD}</head>{after}"
    return _HEAD + html
