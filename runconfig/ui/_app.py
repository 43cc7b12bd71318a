"""The routes of the page. Every view is a GET whose URL holds its whole state (query,
sort, columns, page, chosen metric, selection); changes are POSTs from the page's own
origin. Data reaches scripts as JSON in the page or from ``/api/...``."""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import os
import shlex
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runconfig._paths import format_path, format_segment
from runconfig._summary import dotted
from runconfig.api import (
    Api,
    RunConfig,
    RunRecord,
    SweepRecord,
    _collector_paused,
)
from runconfig.errors import QueryError, RunconfigError, StoreError
from runconfig.store._resilient import is_disconnect
from runconfig.sweeps import sweep_query
from runconfig.ui import _data

__all__ = ["CSP", "build"]

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
COMPARE_LIMIT = 500
"""Runs a comparison shows at most (the first named)."""
AXES_LIMIT = 20_000
"""Runs the parallel coordinates and the importance read at most (the first by the view's
order)."""


def _json_default(value: Any) -> Any:
    return str(value)


def _dumps(value: Any) -> str:
    text = json.dumps(value, default=_json_default, allow_nan=False, separators=(",", ":"))
    # Safe inside <script type="application/json">: no tag can close it.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _Page:
    def __init__(self, store: str | os.PathLike[str] | None) -> None:
        self.store = store
        self._api: Api | None = Api(store)
        self.lock = threading.RLock()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE / "templates")),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["json"] = _dumps
        self.env.globals["link"] = _data.link
        self.env.globals["run_url"] = run_url
        self.env.globals["dotted"] = dotted
        self.env.filters["shell"] = shlex.quote
        self.env.globals["column_key"] = _data.column_key
        self.env.globals["value_text"] = _data.value_text
        mtime = max(int(p.stat().st_mtime) for p in (HERE / "static").iterdir())
        self.env.globals["v"] = str(mtime)

    @property
    def api(self) -> Api:
        """The Api over the store, opened again after its connection was lost."""
        with self.lock:
            if self._api is None:
                self._api = Api(self.store)
            return self._api

    def reset(self) -> None:
        """Drop the Api whose connection was lost (the next request opens another)."""
        with self.lock:
            lost, self._api = self._api, None
        if lost is not None:
            with contextlib.suppress(Exception):
                lost.close()

    def close(self) -> None:
        self.reset()

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(**context)
        return HTMLResponse(html, status_code=status)


def run_url(run_id: str, then: str = "") -> str:
    """The page of a run (``then``: one of its actions), its id quoted whatever it holds."""
    return f"/run/{quote(run_id, safe='')}{then}"


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k != "fragment"}


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text else default
    except ValueError:
        return default


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return origin is not None and origin == own


def _reconnecting(page: _Page, handler: Any) -> Any:
    """``handler``, asked again on a new connection if the store's was lost (a PostgreSQL
    server restarted); if that fails too, a page saying the store is out of reach."""

    is_async = inspect.iscoroutinefunction(handler)

    @functools.wraps(handler)
    async def answer(request: Request) -> Response:
        for _attempt in (1, 2):
            try:
                # A view that reads the store runs in a worker thread: a slow read never
                # holds up the server's loop (its static files, its other requests).
                if is_async:
                    response: Response = await handler(request)
                else:
                    response = await run_in_threadpool(handler, request)
                return response
            except StoreError as e:
                if not is_disconnect(e):
                    raise
                page.reset()
                lost = e
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(lost)}, status_code=503)
        return page.render("unreachable.html", status=503, store=page.store, error=str(lost))

    return answer


def build(store: str | os.PathLike[str] | None) -> Starlette:
    page = _Page(store)

    def projects() -> list[tuple[str, int, str]]:
        with page.lock:
            return page.api.projects()

    def runs_view(request: Request) -> Response:
        params = {k: v for k, v in _params(request).items() if k not in ("col", "deleted")}
        chosen = request.query_params.getlist("col")
        if chosen:  # the column chooser's checkboxes
            params["cols"] = ",".join(chosen)
        project = params.get("project") or None
        where = params.get("q", "")
        order = params.get("order", "")
        cols = params.get("cols", "")
        started = time.perf_counter()
        with page.lock:
            number = _int(params.get("page"), 1)
            table = _data.runs_table(page.api, project, where, order, cols, number)
        metric = params.get("metric") or (table.metrics[0] if table.metrics else "")
        sweep = _sweep(params["sweep"]) if params.get("sweep") else None
        context = {
            "sweep": sweep,
            "params": params,
            "deleted": request.query_params.get("deleted"),
            "selected": list(dict.fromkeys(i for i in params.get("sel", "").split(",") if i)),
            "table": table,
            "project": project or "",
            "projects": projects(),
            "where": where,
            "metric": metric,
            "server_ms": (time.perf_counter() - started) * 1e3,
        }
        if request.query_params.get("fragment") == "table":
            return page.render("_table.html", 200, **context)
        # A bad query is an answer, not a failed request: the page shows where it is wrong.
        return page.render("runs.html", 200, **context)

    def _matching(params: dict[str, str]) -> list[RunConfig]:
        with page.lock:
            return page.api.configs(
                project=params.get("project") or None,
                where=params.get("q") or None,
                order=params.get("order") or None,
                limit=AXES_LIMIT,
            )

    def axes_api(request: Request) -> Response:
        params = _params(request)
        metric = params.get("metric", "")
        try:
            _data.check_metric(metric)
            runs = _matching(params)
        except (QueryError, ValueError) as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        with _collector_paused():
            data = _data.axes(runs, metric or None)
        if params.get("importance"):  # the page's importance too, from the same read
            data["importance"] = _importance(runs, metric)
        return Response(_dumps(data), media_type="application/json")

    def _importance(runs: list[RunConfig], metric: str) -> dict[str, Any]:
        started = time.perf_counter()
        with _collector_paused():  # thousands of new lists, no cycle among them
            rows = _data.importance(runs, metric) if metric else []
        return {"metric": metric, "runs": len(runs), "keys": rows,
                "ms": (time.perf_counter() - started) * 1e3}  # fmt: skip

    def importance_api(request: Request) -> Response:
        params = _params(request)
        try:
            _data.check_metric(params.get("metric", ""))
            runs = _matching(params)
        except (QueryError, ValueError) as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        data = _importance(runs, params.get("metric", ""))
        return Response(_dumps(data), media_type="application/json")

    def _run(run_id: str) -> RunRecord | None:
        try:
            with page.lock:
                return page.api.run(run_id)
        except RunconfigError as e:  # not found, or a name that several runs have
            if is_disconnect(e):
                raise
            return None

    def run_view(request: Request) -> Response:
        run = _run(request.path_params["run_id"])
        if run is None:
            return page.render("missing.html", status=404, what="run",
                               name=request.path_params["run_id"])  # fmt: skip
        metrics = _data.compare([run], True).metrics
        charts = _data.histories([run], metrics)
        return page.render(
            "run.html", run=run, config_rows=_tree(run), metrics=metrics,
            charts={"metrics": charts, "state": run.state, "steps": len(run.history or ())},
            saved=request.query_params.get("saved"),
        )  # fmt: skip

    def live_api(request: Request) -> Response:
        run = _run(request.path_params["run_id"])
        if run is None:
            return JSONResponse({"error": "no such run"}, status_code=404)
        metrics = _data.compare([run], True).metrics
        since = max(0, _int(request.query_params.get("since"), 0))  # rows the page has
        return Response(
            _dumps({"state": run.state, "steps": len(run.history or ()), "since": since,
                    "metrics": _data.histories([run], metrics, since),
                    "summary": {k: _data.value_text(v) for k, v in
                                dotted(run.summary).items() if not k.startswith("_")}}),
            media_type="application/json",
        )  # fmt: skip

    def edit(action: str) -> Any:
        async def handler(request: Request) -> Response:
            return await _edit(request, action)

        return handler

    async def _edit(request: Request, action: str) -> Response:
        if not _same_origin(request):
            return PlainTextResponse("forbidden: not sent by this page", status_code=403)
        run = _run(request.path_params["run_id"])
        if run is None:
            return PlainTextResponse("no such run", status_code=404)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return PlainTextResponse(
                "send the page's form (application/x-www-form-urlencoded)", status_code=415
            )
        form = await _form(request)
        with page.lock:
            if action == "tags":
                text = str(form.get("tags", ""))
                page.api.set_tags(run, [t.strip() for t in text.split(",") if t.strip()])
            elif action == "notes":
                page.api.set_notes(run, str(form.get("notes", "")).replace("\r\n", "\n"))
            elif action == "delete":
                if form.get("confirm") != run.name:  # asked again, with why (not an error)
                    return page.render("delete.html", run=run, wrong=True)
                page.api.delete([run])
                after = _data.link("/", {"project": run.project, "deleted": run.name})
                return RedirectResponse(after, status_code=303)
        return RedirectResponse(run_url(run.id, f"?saved={action}"), status_code=303)

    def delete_view(request: Request) -> Response:
        run = _run(request.path_params["run_id"])
        if run is None:
            return page.render("missing.html", status=404, what="run",
                               name=request.path_params["run_id"])  # fmt: skip
        return page.render("delete.html", run=run, wrong=False)

    def compare_view(request: Request) -> Response:
        ids: list[str] = []
        for value in request.query_params.getlist("run"):
            ids += [v for v in value.split(",") if v]
        ids = list(dict.fromkeys(ids))
        show_all = request.query_params.get("all") == "1"
        runs: list[RunRecord] = []
        missing: list[str] = []
        for run_id in ids[:COMPARE_LIMIT]:
            run = _run(run_id)
            if run is None:
                missing.append(run_id)
            else:
                runs.append(run)
        comparison = _data.compare(runs, show_all)
        charts = _data.histories(runs, comparison.metrics)
        return page.render(
            "compare.html", comparison=comparison, show_all=show_all, ids=ids,
            limit=COMPARE_LIMIT,
            missing=missing, charts={"metrics": charts},
            params={"run": ",".join(ids), **({"all": "1"} if show_all else {})},
        )  # fmt: skip

    def _sweep(sweep_id: str) -> SweepRecord | None:
        try:
            with page.lock:
                return page.api.sweep(sweep_id, runs=False)
        except RunconfigError as e:
            if is_disconnect(e):
                raise
            return None

    def sweeps_view(request: Request) -> Response:
        with page.lock:
            found = page.api.sweeps()
        return page.render("sweeps.html", sweeps=found)

    def sweep_view(request: Request) -> Response:
        """A sweep's runs, its progress above them: the runs view of ``run.sweep == ID``."""
        found = _sweep(request.path_params["sweep_id"])
        if found is None:
            return page.render("missing.html", status=404, what="sweep",
                               name=request.path_params["sweep_id"])  # fmt: skip
        # The sweep's metric is one summary key, whatever its characters ("val/loss").
        metric = format_segment(found.metric) if found.metric else ""
        order = f"{'-' if found.goal == 'maximize' else ''}summary.{metric}" if metric else ""
        view = {"project": found.project, "q": sweep_query(found.id), "sweep": found.id,
                "metric": metric, "order": order}  # fmt: skip
        target = _data.link("/", view)
        return RedirectResponse(target, status_code=303)

    async def favicon(request: Request) -> Response:
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    routes = [
        Route("/", _reconnecting(page, runs_view)),
        # A run id may hold a "/": the actions first, the run's page last.
        Route("/run/{run_id:path}/delete", _reconnecting(page, delete_view), methods=["GET"]),
        *(
            Route(
                f"/run/{{run_id:path}}/{action}",
                _reconnecting(page, edit(action)),
                methods=["POST"],
            )
            for action in ("tags", "notes", "delete")
        ),
        Route("/api/run/{run_id:path}/live", _reconnecting(page, live_api)),
        Route("/run/{run_id:path}", _reconnecting(page, run_view)),
        Route("/compare", _reconnecting(page, compare_view)),
        Route("/sweeps", _reconnecting(page, sweeps_view)),
        Route("/sweep/{sweep_id}", _reconnecting(page, sweep_view)),
        Route("/api/axes", _reconnecting(page, axes_api)),
        Route("/api/importance", _reconnecting(page, importance_api)),
        Route("/favicon.ico", favicon),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The importance's statistics use numpy when it is there: imported as the server
        # starts, not in the first request that needs it (~60 ms).
        with contextlib.suppress(ImportError):
            import numpy  # noqa: F401
        yield
        page.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        return page.render("missing.html", status=404, what="page", name=request.url.path)

    return Starlette(routes=routes, middleware=[Middleware(_Headers)], lifespan=lifespan,
                     exception_handlers={404: not_found})  # fmt: skip


LOOPBACK_NAMES = ("localhost", "[::1]")


def loopback_host(header: str) -> bool:
    """Whether a Host header names this machine's loopback (``127.0.0.1:8765``,
    ``localhost``, ``[::1]:8765``): what a page served on 127.0.0.1 is asked by.

    Anything else is refused: a site whose name an attacker points at 127.0.0.1 (DNS
    rebinding) is then not this page's origin, so its scripts can neither read the runs
    nor pass the Origin check of a change."""
    host = header.strip().lower()
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if host in LOOPBACK_NAMES:
        return True
    parts = host.split(".")
    return len(parts) == 4 and parts[0] == "127" and all(p.isdigit() for p in parts)


class _Headers:
    """Requests must name the loopback as their Host; every response gets the
    Content-Security-Policy (the page's own files only, no inline script) and friends;
    versioned static files are cached for good."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if not loopback_host(host):
            refused = PlainTextResponse(
                f"runconfig ui answers requests for 127.0.0.1 or localhost only, not {host!r}",
                status_code=400,
            )
            await refused(scope, receive, send)
            return
        cache = scope["path"].startswith("/static/") and b"v=" in scope.get("query_string", b"")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if cache:
                    headers["Cache-Control"] = "public, max-age=31536000, immutable"
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _form(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form (the page's forms are; no multipart needed)."""
    from urllib.parse import parse_qsl

    body = (await request.body()).decode("utf-8", "replace")
    return dict(parse_qsl(body, keep_blank_values=True))


def _tree(run: RunRecord) -> list[dict[str, Any]]:
    """The config as rows of a tree: depth, key, value text, origin, note."""
    rows: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], prefix: tuple[str, ...], depth: int) -> None:
        for key, value in node.items():
            path = format_path((*prefix, key))
            if isinstance(value, dict) and value:
                rows.append({"depth": depth, "key": key, "path": path, "value": None,
                             "origin": run.origins.get(path),
                             "desc": run.descs.get(path)})  # fmt: skip
                walk(value, (*prefix, key), depth + 1)
            else:
                rows.append({"depth": depth, "key": key, "path": path,
                             "value": _data.value_text(value), "origin": run.origins.get(path),
                             "desc": run.descs.get(path)})  # fmt: skip

    walk(run.config, (), 0)
    return rows
