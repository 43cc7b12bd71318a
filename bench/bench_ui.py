"""Issue 14: the web page. Server time of the runs page, bytes before the first rows, the
parallel coordinates in a browser, the parameter importance.

    python bench/bench_ui.py                 # 100,000 runs (SQLite and PostgreSQL)
    python bench/bench_ui.py --runs 20000    # a quicker look

Figures, each beside a baseline measured in the same run:

- the runs page's HTML with its first 50 rows, sorted by a metric (``order=summary.
  val_loss``), on a 100,000-run store: server time (the request through the ASGI app in
  this process), median of 7, floor 300 ms, SQLite and PostgreSQL; baseline: the
  ``Api().runs(order=..., limit=50)`` the page makes;
- bytes sent before the first rows show: the HTML and every file it loads (CSS, JS,
  favicon), floor 200 KB; MLflow's page moved 8.1 MB (issue 14);
- parallel coordinates of 10,000 runs x 9 axes (8 varying keys and the metric) in headless
  Chromium: first draw and redraw after a brush (``performance.now()`` around the draw, the
  pixels read back),
  median of 3 page loads, floor 300 ms each; baseline: the same canvas cleared and
  filled once (what any draw costs);
- parameter importance for a metric at 10,000 runs (``/api/importance``, the runs read
  included), median of 5, floor 100 ms, SQLite and PostgreSQL; baseline: reading the
  10,000 runs alone as records.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from typing import Any

from _harness import Floor, Row, child_env, min_median, print_table, worker
from _runs import make_runs

import runconfig
from runconfig.store import RunData, open_store

PG_URL = os.environ.get("RUNCONFIG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("RUNCONFIG_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PAGE = "/?project=bench&order=summary.val_loss"
BASE = "http://127.0.0.1:8765"  # the page answers requests for the loopback only
CACHE = os.path.join(tempfile.gettempdir(), "runconfig-bench-cache")  # bench_query's too


def _timed(fn: Any, repeat: int) -> float:
    return min_median(fn, repeat)[1]


def nine_axes(count: int) -> list[RunData]:
    """Runs whose configs vary in 8 keys: with the metric, 9 axes (issue 14's figure)."""
    rng = random.Random(14)
    runs = []
    for i in range(count):
        lr = 10 ** rng.uniform(-5, -1)
        config = {
            "lr": lr, "optimizer": rng.choice(["adam", "sgd", "adamw"]),
            "batch_size": rng.choice([16, 32, 64, 128]), "dropout": rng.uniform(0, 0.5),
            "layers": rng.randint(1, 8), "weight_decay": 10 ** rng.uniform(-6, -2),
            "warmup": rng.randint(0, 1000), "momentum": rng.uniform(0.8, 0.99), "epochs": 10,
        }  # fmt: skip
        loss = (math.log10(lr) + 3) ** 2 * 0.1 + config["dropout"] + rng.random() * 0.05
        runs.append(RunData(id=f"n{i:06d}", name=f"nine-{i}", project="nine", state="finished",
                            created_at=f"2026-01-02T00:00:00.{i:06d}+00:00", config=config,
                            summary={"val_loss": loss}))  # fmt: skip
    return runs


def page_row(location: str, engine: str, count: int) -> Row:
    from starlette.testclient import TestClient

    from runconfig.ui import create_app

    with TestClient(create_app(location), base_url=BASE) as client, runconfig.Api(location) as api:

        def page() -> None:
            response = client.get(PAGE)
            assert response.status_code == 200 and response.text.count('<tr data-id="') == 50

        ours = _timed(page, 7)
        base = _timed(lambda: api.runs(project="bench", order="summary.val_loss", limit=50), 7)
        middle = max(1, count // 100)  # a page half way through the runs
        deep = _timed(lambda: client.get(f"{PAGE}&page={middle}"), 3)
    return Row(
        f"runs page, first 50 rows sorted by a metric, {count:,} runs, {engine}",
        ours,
        base,
        "Api().runs(order, limit=50) alone",
        floor=Floor("abs_max", 0.300),
        note=f"median of 7, server time; page {middle:,} (half way): {deep * 1e3:.0f} ms",
    )


def bytes_row(location: str) -> Row:
    from starlette.testclient import TestClient

    from runconfig.ui import create_app

    with TestClient(create_app(location), base_url=BASE) as client:
        html = client.get(PAGE).content
        files = set(re.findall(rb'(?:href|src)="(/static/[^"]+)"', html))
        total = len(html)
        for path in files:
            total += len(client.get(path.decode()).content)
        # The JS modules the page's scripts import.
        for path in ("/static/common.js", "/static/parcoords.js", "/static/chart.js"):
            if path.encode() not in b" ".join(files):
                total += len(client.get(path).content)
    return Row(
        "bytes before the first rows show (HTML, CSS, JS, icon)",
        float(total),
        8.1e6,
        "MLflow's page (issue 14)",
        floor=Floor("abs_max", 200_000),
        unit="bytes",
        note=f"{len(files)} files besides the HTML; uncompressed",
    )


BROWSER = """
import json, statistics, sys
from playwright.sync_api import sync_playwright
url, chromium = sys.argv[1], sys.argv[2]
first, redraw, base = [], [], []
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
    for _ in range(3):
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.wait_for_function(
            "() => window.runconfigParcoords && window.runconfigParcoords.timings.length"
        )
        axes = page.evaluate("window.runconfigParcoords.data.axes.length")
        runs = page.evaluate("window.runconfigParcoords.data.ids.length")
        page.evaluate("window.runconfigParcoords.brushValues('dropout', 0.1, 0.3)")
        t = page.evaluate("window.runconfigParcoords.timings")
        first.append(t[0]); redraw.append(t[-1])
        base.append(page.evaluate('''() => { const c = document.querySelector('#parcoords canvas');
            const x = c.getContext('2d', {willReadFrequently: true}); const s = performance.now();
            x.fillStyle = '#888'; x.fillRect(0, 0, c.width, c.height); x.getImageData(0, 0, 1, 1);
            return performance.now() - s; }'''))
        page.close()
    browser.close()
print(json.dumps({"first": statistics.median(first), "redraw": statistics.median(redraw),
                  "base": statistics.median(base), "axes": axes, "runs": runs}))
"""


def browser_rows(location: str) -> list[Row]:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return [Row("parallel coordinates", None, note="playwright not installed")]
    if not os.path.exists(CHROMIUM):
        return [Row("parallel coordinates", None, note=f"no Chromium at {CHROMIUM}")]
    import json
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "runconfig", "ui", "--store", location, "--port", str(port)],
        env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico").close()
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/?project=nine&metric=val_loss"
        done = subprocess.run([sys.executable, "-c", BROWSER, url, CHROMIUM], env=child_env(),
                              capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
        if done.returncode != 0:
            return [Row("parallel coordinates", None, note=done.stderr.strip()[-300:])]
        out = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        server.terminate()
        server.wait()
    what = f"{out['runs']:,} runs x {out['axes']} axes"
    return [
        Row(f"parallel coordinates, first draw ({what})", out["first"] / 1e3,
            out["base"] / 1e3, "one fill of the canvas", floor=Floor("abs_max", 0.300),
            note="median of 3 page loads, headless Chromium, software rendering"),
        Row(f"parallel coordinates, redraw after a brush ({what})", out["redraw"] / 1e3,
            out["base"] / 1e3, "one fill of the canvas", floor=Floor("abs_max", 0.300)),
    ]  # fmt: skip


def importance_row(location: str, engine: str) -> Row:
    from starlette.testclient import TestClient

    from runconfig.ui import create_app

    query = "/api/importance?project=nine&metric=val_loss"
    with TestClient(create_app(location), base_url=BASE) as client, runconfig.Api(location) as api:
        runs = client.get(query).json()["runs"]
        ours = _timed(lambda: client.get(query), 5)
        base = _timed(lambda: api.runs(project="nine", limit=20_000), 5)
    return Row(
        f"parameter importance, {runs:,} runs (reading them included), {engine}",
        ours,
        base,
        "reading the runs alone",
        floor=Floor("abs_max", 0.100),
        note="median of 5",
    )


# -- MLflow's page, in a process of its own -------------------------------------------------
MLFLOW_SEARCH = {  # what MLflow's runs page posts when a metric's header is clicked
    "filter": "",
    "run_view_type": "ACTIVE_ONLY",
    "max_results": 100,
    "order_by": ["metrics.`val_loss` ASC"],
}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _http(url: str, body: dict[str, Any] | None = None) -> bytes:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return bytes(response.read())


def mlflow_page_worker(cache: str, count: int) -> None:
    """MLflow's UI server over the same runs: the time of the search its runs page makes,
    sorted by the metric (loopback HTTP, median of 7)."""
    from _harness import emit
    from bench_query import mlflow_db

    db, _ = mlflow_db(cache, count)
    port = _free_port()
    with tempfile.TemporaryDirectory() as artifacts:
        server = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{db}",
             "--default-artifact-root", artifacts, "--host", "127.0.0.1", "--port", str(port),
             "--workers", "1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    _http(f"{base}/health")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("MLflow's server did not start") from None
                    time.sleep(0.2)
            got = json.loads(_http(f"{base}/ajax-api/2.0/mlflow/experiments/get-by-name"
                                   "?experiment_name=bench"))  # fmt: skip
            body = {**MLFLOW_SEARCH, "experiment_ids": [got["experiment"]["experiment_id"]]}
            url = f"{base}/ajax-api/2.0/mlflow/runs/search"
            found = json.loads(_http(url, body))["runs"]
            best, median = min_median(lambda: _http(url, body), 7)
            names = [run["info"]["run_name"] for run in found]
            emit({"min": best, "median": median, "names": names})
        finally:
            os.killpg(server.pid, 15)
            server.wait(30)


def mlflow_row(location: str, count: int) -> Row:
    """Ours on ``count`` runs beside MLflow's UI server on the same runs."""
    row = page_row(location, "SQLite", count)
    with runconfig.Api(location) as api:
        ours = api.runs(project="bench", order="summary.val_loss", limit=50)
    env = {"MLFLOW_ENABLE_ASYNC_LOGGING": "0", "MLFLOW_DISABLE_TELEMETRY": "true"}
    out = worker(__file__, "mlflow", CACHE, str(count), env=env, timeout=3600, peer=True)
    row.baseline, row.baseline_name, row.floor = None, "", None
    if out is None:
        row.note = "MLflow: n/a (not installed or failed; RUNCONFIG_PEER_PYTHON names a venv)"
        return row
    same = [r.name for r in ours] == out["names"][:50]
    row.baseline, row.baseline_name = out["median"], "MLflow's runs/search behind its page"
    row.note = (
        f"{row.note}; MLflow: its page's search (100 runs, loopback HTTP, no HTML), median "
        f"of 7, min {out['min'] * 1e3:.0f} ms; {'the same' if same else 'DIFFERENT'} first 50 runs"
    )
    return row


def _pg_location() -> tuple[str, Any] | None:
    try:
        import psycopg

        schema = f"rc_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except Exception:
        return None

    def drop() -> None:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")

    return f"{PG_URL}?schema={schema}", drop


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--worker":
        mlflow_page_worker(sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--mlflow-runs", type=int, default=10_000)
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        location = os.path.join(tmp, "runs.db")
        st = open_store(location)
        st.bulk_insert(make_runs(args.runs))
        st.close()
        rows.append(page_row(location, "SQLite", args.runs))
        beside = os.path.join(tmp, "beside.db")
        st = open_store(beside)
        st.bulk_insert(make_runs(args.mlflow_runs))
        st.close()
        rows.append(mlflow_row(beside, args.mlflow_runs))
        pg = _pg_location()
        if pg is not None:
            pg_location, drop = pg
            try:
                st = open_store(pg_location)
                st.bulk_insert(make_runs(args.runs))
                st.close()
                rows.append(page_row(pg_location, "PostgreSQL", args.runs))
                st = open_store(pg_location)
                st.bulk_insert(nine_axes(10_000))
                st.close()
                importance_pg = importance_row(pg_location, "PostgreSQL")
            finally:
                drop()
        else:
            rows.append(Row("runs page, PostgreSQL", None, note="no PostgreSQL server"))
            importance_pg = Row("parameter importance, PostgreSQL", None, note="no server")
        rows.append(bytes_row(location))
        small = os.path.join(tmp, "small.db")
        st = open_store(small)
        st.bulk_insert(nine_axes(10_000))
        st.close()
        rows += browser_rows(small)
        rows.append(importance_row(small, "SQLite"))
        rows.append(importance_pg)
    print_table("Issue 14: the web page", rows)


if __name__ == "__main__":
    main()
