"""The web page: see, filter and compare runs in a browser (``runconfig ui``).

Server-rendered HTML (Starlette, Jinja2) over the Api, with small hand-written JavaScript
modules where pixels move: the parallel coordinates, the charts, live updates. No build
step, no CDN: a Content-Security-Policy lets the page load only its own files. It serves
the local user: it binds the loopback address, and refuses any other until the team
server brings authentication. Needs the extra ``ui`` (Starlette, uvicorn, Jinja2).
"""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING

from runconfig.errors import UsageError

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["INSTALL_HINT", "check_host", "create_app", "serve"]

INSTALL_HINT = "pip install 'runconfig[ui]'"


def check_host(host: str) -> None:
    """Refuse an address other than the loopback: the page has no authentication yet."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UsageError(
            f"runconfig ui serves this machine's user only: it binds 127.0.0.1 (or ::1), "
            f"not {host!r}, until the team server brings authentication"
        )


def create_app(store: str | os.PathLike[str] | None = None) -> Starlette:
    """The page's ASGI application over ``store`` (resolved as :func:`runconfig.init`
    resolves it)."""
    try:
        from runconfig.ui._app import build
    except ImportError as e:
        raise UsageError(f"runconfig ui needs {e.name}: {INSTALL_HINT}") from None
    return build(store)


def serve(
    store: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = False,
) -> None:
    """Serve the page until interrupted."""
    check_host(host)
    app = create_app(store)
    import socket

    import uvicorn

    # The socket is bound here, before the address is printed: a port in use is said in
    # one line, and --port 0 prints the port the system chose.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)  # connections wait from now, before the server's loop starts
    except OSError as e:
        sock.close()
        raise UsageError(f"runconfig ui cannot listen on {host}:{port}: {e.strerror}") from None
    port = sock.getsockname()[1]
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    print(f"runconfig ui: {url} (Ctrl-C stops it)", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    server.run(sockets=[sock])
