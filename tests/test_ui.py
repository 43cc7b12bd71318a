"""The web page over HTTP (Starlette's test client, both engines): every view, its escaping,
its headers, the rules for changes. The browser tests are in test_ui_browser.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import make_run

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient

import runconfig
from runconfig.api import RunConfig
from runconfig.errors import UsageError
from runconfig.store import RunData, open_store
from runconfig.ui import check_host, create_app
from runconfig.ui._app import CSP, loopback_host

EVIL = "<script>alert(1)</script>"


BASE = "http://127.0.0.1:8765"


def _client(location: str) -> TestClient:
    """A client of the page over ``location``, asking as a browser on this machine does
    (Host: 127.0.0.1:8765)."""
    return TestClient(create_app(location), base_url=BASE)


def _run(i: int, **fields: Any) -> RunData:
    return make_run(i, **fields)


@pytest.fixture
def filled(store_location: str) -> str:
    st = open_store(store_location)
    runs = []
    for i in range(60):
        config = {"lr": [0.1, 0.01, 0.001, 0.0001][i % 4], "opt": ["adam", "sgd"][i % 2],
                  "layers": 2, "train": {"bs": 32 * (1 + i % 3)}}  # fmt: skip
        if i == 5:
            config["lr"] = 1  # an int: sorts as a number
        runs.append(_run(i, config=config, summary={"loss": 1.0 / (i + 1)}))
    runs.append(_run(100, config={"lr": 0.5, "opt": EVIL, EVIL: 1, "layers": 2}, tags=[EVIL],
                     notes=EVIL, summary={"loss": 9.0}, state="finished"))  # fmt: skip
    st.bulk_insert(runs)
    st.close()
    return store_location


@pytest.fixture
def client(filled: str) -> Iterator[TestClient]:
    with _client(filled) as c:
        yield c


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)">', html)


def cells(html: str, column: int) -> list[str]:
    """The texts of one column (0: the first after the run name) of the runs table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    out = []
    for row in body.split("</tr>")[:-1]:
        tds = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        out.append(tds[column + 1].strip())  # the first td is the checkbox
    return out


def header_keys(html: str) -> list[str]:
    return re.findall(r'title="Sort by ([^"]+)"', html)


# -- the runs view ----------------------------------------------------------------------------
def test_the_runs_view_shows_the_keys_that_vary_and_the_metrics_a_page_at_a_time(
    client: TestClient,
) -> None:
    page = client.get("/?project=p")
    assert page.status_code == 200
    keys = header_keys(page.text)
    assert keys[:2] == ["run.state", "run.created_at"]
    assert {"config.lr", "config.opt", "config.train.bs", "summary.loss"} <= set(keys)
    assert "config.layers" not in keys  # the same in every run
    assert "summary.loss" in keys
    assert len(rows(page.text)) == 50 and "of <strong>61</strong> runs" in page.text
    second = client.get("/?project=p&page=2")
    assert len(rows(second.text)) == 11
    assert set(rows(page.text)).isdisjoint(rows(second.text))
    assert 'rel="prev"' in second.text and 'rel="next"' in page.text


def test_sorting_is_typed_numbers_as_numbers_missing_last(client: TestClient, filled: str) -> None:
    st = open_store(filled)
    st.bulk_insert([_run(300, project="s", config={"lr": "high"}), _run(301, project="s"),
                    *(_run(302 + i, project="s", config={"lr": v})
                      for i, v in enumerate([10, 9.5, 100, 2]))])  # fmt: skip
    st.close()
    page = client.get("/?project=s&order=config.lr&cols=lr")
    assert cells(page.text, 0) == ["2", "9.5", "10", "100", "high", ""]  # numbers, text, missing
    down = client.get("/?project=s&order=-config.lr&cols=lr")
    assert cells(down.text, 0) == ["100", "10", "9.5", "2", "high", ""]
    page = client.get("/?project=p&order=config.lr&cols=lr,opt")
    lrs = [float(x) for x in cells(page.text, 0)]
    assert lrs == sorted(lrs)
    # The header link of the sorted column sorts the other way.
    assert 'href="/?project=p&amp;order=-config.lr&amp;cols=lr%2Copt"' in page.text


def test_the_query_filters_and_a_bad_query_shows_its_message_and_caret(
    client: TestClient,
) -> None:
    page = client.get('/?project=p&q=lr < 0.01 and opt == "adam"')
    ids = rows(page.text)
    assert ids and "of <strong>15</strong> runs" in page.text
    bad = client.get("/?project=p&q=lr <")
    assert bad.status_code == 200  # an answer: the page says where the query is wrong
    error = bad.text.split('id="query-error"', 1)[1].split("</div>", 1)[0]
    caret = re.search(r'<pre class="caret">(.*?)\n( *)\^</pre>', error, re.S)
    assert caret is not None and caret.group(1) == "lr &lt;" and len(caret.group(2)) == 4
    assert rows(bad.text) == []


def test_every_view_shows_keys_values_tags_and_notes_as_text(client: TestClient) -> None:
    listing = client.get("/?project=p&cols=opt,`<script>alert(1)</script>`")
    assert EVIL not in listing.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in listing.text
    run_id = "run-100"
    for url in (f"/run/{run_id}", f"/compare?run={run_id}&run=run-1&all=1", "/sweeps",
                f"/run/{run_id}/delete", "/?q=opt == \"<script>alert(1)</script>\""):  # fmt: skip
        page = client.get(url)
        assert page.status_code == 200, url
        assert EVIL not in page.text, url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/run/{run_id}").text
    axes = client.get("/api/axes?project=p&metric=loss")
    assert EVIL not in axes.text and "\\u003cscript\\u003e" in axes.text


def test_every_response_carries_the_content_security_policy_and_no_inline_script(
    client: TestClient,
) -> None:
    for url in ("/", "/run/run-1", "/compare?run=run-1&run=run-2", "/sweeps", "/api/axes",
                "/static/app.css", "/favicon.ico", "/nope"):  # fmt: skip
        response = client.get(url)
        assert response.headers["content-security-policy"] == CSP, url
        if response.headers["content-type"].startswith("text/html"):
            for tag in re.findall(r"<script[^>]*>", response.text):
                assert 'src="/static/' in tag or 'type="application/json"' in tag, (url, tag)
    assert "script-src 'self'" in CSP and "connect-src 'self'" in CSP
    assert client.get("/favicon.ico").status_code == 200


# -- a run, changes ------------------------------------------------------------------------------
def test_the_run_view_shows_the_config_tree_with_origins_and_the_export_command(
    client: TestClient,
) -> None:
    page = client.get("/run/run-3")
    assert page.status_code == 200
    assert re.search(r'<th scope="row" class="depth-1">bs</th>', page.text)
    assert "runconfig export r3" in page.text
    assert client.get("/run/nope").status_code == 404


def test_the_run_view_charts_each_logged_metric(store_location: str) -> None:
    run = runconfig.init(store=store_location, config={"lr": 0.1, "opt": {"name": "adam"}})
    for step in range(3):
        run.log({"loss": 1.0 / (step + 1), "acc": step / 2})
    run.finish()
    with _client(store_location) as client:
        page = client.get(f"/run/{run.id}")
    data = json.loads(page.text.split('id="run-data">', 1)[1].split("</script>", 1)[0])
    loss = data["charts"]["metrics"]["loss"][0]
    assert loss["values"] == [1.0, 0.5, 1 / 3] and loss["steps"] == [0, 1, 2]
    assert set(data["charts"]["metrics"]) == {"loss", "acc"}
    assert '<td class="origin">init</td>' in page.text


def test_changes_need_the_page_s_own_origin(client: TestClient, filled: str) -> None:
    for headers in ({}, {"origin": "http://evil.example"}, {"origin": "null"}):
        refused = client.post("/run/run-1/tags", data={"tags": "x"}, headers=headers)
        assert refused.status_code == 403
        gone = client.post("/run/run-1/delete", data={"confirm": "run-1"}, headers=headers)
        assert gone.status_code == 403
    with runconfig.Api(filled) as api:
        assert api.run("run-1").tags == []
    own = {"origin": BASE}
    saved = client.post("/run/run-1/tags", data={"tags": "best, paper"}, headers=own,
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    client.post("/run/run-1/notes", data={"notes": "a <b>note</b>"}, headers=own)
    with runconfig.Api(filled) as api:
        run = api.run("run-1")
        assert run.tags == ["best", "paper"] and run.notes == "a <b>note</b>"
    assert "a &lt;b&gt;note&lt;/b&gt;" in client.get("/run/run-1").text
    # Deleting asks for the run's name.
    asked = client.get("/run/run-2/delete")
    assert "Type the run" in asked.text
    wrong = client.post("/run/run-2/delete", data={"confirm": "yes"}, headers=own)
    assert wrong.status_code == 200 and "nothing was deleted" in wrong.text  # asked again
    done = client.post("/run/run-2/delete", data={"confirm": "run-2"}, headers=own,
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    with runconfig.Api(filled) as api:
        assert api.count() == 60
    # Notes keep the lines typed (a browser sends CRLF); a form the page never sends is
    # refused, not read as empty notes.
    client.post("/run/run-1/notes", data={"notes": "one\r\ntwo"}, headers=own)
    multipart = client.post("/run/run-1/notes", files={"notes": ("n.txt", b"x")}, headers=own)
    assert multipart.status_code == 415
    with runconfig.Api(filled) as api:
        assert api.run("run-1").notes == "one\ntwo"


def test_after_a_delete_the_notice_names_the_run_once(filled: str) -> None:
    st = open_store(filled)
    st.bulk_insert([_run(300, name="a&b#c x+y", project="q"), _run(301, project="q")])
    st.close()
    with _client(filled) as client:
        done = client.post("/run/r300/delete", data={"confirm": "a&b#c x+y"},
                           headers={"origin": BASE}, follow_redirects=False)  # fmt: skip
        after = client.get(done.headers["location"])
    assert "Deleted run a&amp;b#c x+y." in after.text
    assert 'value="q" selected' in after.text  # back in its project
    assert "deleted=" not in after.text  # the notice is not carried into the links


def test_unknown_pages_and_bad_metrics_get_the_page_s_own_answers(client: TestClient) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "No page /no/such/page" in missing.text
    assert 'href="/static/app.css' in missing.text  # the page's look, not plain text
    for url in ("/api/axes?metric=a..b", "/api/importance?metric=a..b"):
        bad = client.get(url)
        assert bad.status_code == 400 and "metric 'a..b'" in bad.json()["error"]
    one = client.get("/compare?run=run-1")
    assert "<h1>Compare 1 run</h1>" in one.text
    many = client.get("/compare?run=" + ",".join(f"x{i}" for i in range(501)) + ",run-1")
    assert "Showing the first 500 of the 502 runs named" in many.text


def test_a_request_for_another_host_name_is_refused(filled: str) -> None:
    # DNS rebinding: a site whose name now points at 127.0.0.1 asks with its own Host and
    # Origin; it must neither read the runs nor change them.
    rebound = "http://attacker.example:8765"
    with TestClient(create_app(filled), base_url=rebound) as client:
        read = client.get("/?project=p")
        assert read.status_code == 400 and "run-1" not in read.text
        assert "127.0.0.1 or localhost only" in read.text
        assert client.get("/api/axes?project=p").status_code == 400
        changed = client.post("/run/run-1/notes", data={"notes": "pwned"},
                              headers={"origin": rebound})  # fmt: skip
        assert changed.status_code == 400
    with runconfig.Api(filled) as api:
        assert api.run("run-1").notes != "pwned"
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "127.0.0.1", "LOCALHOST"):
        assert loopback_host(host), host
    for host in ("", "attacker.example", "127.0.0.1.attacker.example", "localhost.evil:80",
                 "[::2]:8765", "0.0.0.0:8765", "127.1"):  # fmt: skip
        assert not loopback_host(host), host


def test_only_the_loopback_address_is_served() -> None:
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        check_host(host)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.com"):
        with pytest.raises(UsageError, match=r"binds 127\.0\.0\.1"):
            check_host(host)


def test_the_ui_command_refuses_another_address(tmp_path: Any) -> None:
    import subprocess
    import sys

    from conftest import child_env

    done = subprocess.run([sys.executable, "-m", "runconfig", "ui", "--host", "0.0.0.0",
                           "--store", str(tmp_path / "x.db")], env=child_env(),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1 and "binds 127.0.0.1" in done.stderr


def test_the_ui_command_says_the_port_it_listens_on_or_why_it_cannot(tmp_path: Any) -> None:
    import socket
    import subprocess
    import sys
    import urllib.request

    from conftest import child_env

    store = str(tmp_path / "x.db")
    runconfig.init(store=store, project="p").finish()
    argv = [sys.executable, "-m", "runconfig", "ui", "--store", store, "--port"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = subprocess.run([*argv, str(taken.getsockname()[1])], env=child_env(),
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert busy.returncode == 1 and busy.stdout == ""
    assert len(busy.stderr.strip().splitlines()) == 1 and "cannot listen" in busy.stderr
    chosen = subprocess.Popen([*argv, "0"], env=child_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        assert chosen.stdout is not None
        line = chosen.stdout.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        assert port != 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/favicon.ico", timeout=10) as r:
            assert r.status == 200
    finally:
        chosen.terminate()
        chosen.communicate(timeout=10)


# -- compare, charts, importance -------------------------------------------------------------------
def test_compare_shows_the_keys_that_differ_typed_and_all_on_request(
    client: TestClient, filled: str
) -> None:
    st = open_store(filled)
    st.bulk_insert([_run(200, config={"a": 1, "b": 2, "same": "x"}),
                    _run(201, config={"a": 1.0, "b": 3, "same": "x"})])  # fmt: skip
    st.close()
    page = client.get("/compare?run=run-200&run=run-201")
    keys = re.findall(r'<tr class="(differs|same)">\s*<th scope="row">([^<]+)</th>', page.text)
    assert keys == [("differs", "a"), ("differs", "b")]  # 1 and 1.0 differ
    assert "1 is the same" in page.text
    everything = client.get("/compare?run=run-200,run-201&all=1")
    keys = re.findall(
        r'<tr class="(differs|same)">\s*<th scope="row">([^<]+)</th>', everything.text
    )
    assert ("same", "same") in keys
    assert "runconfig diff r200 r201" in page.text


def test_the_axes_of_the_parallel_coordinates(client: TestClient) -> None:
    data = client.get("/api/axes?project=p&q=lr < 0.2&metric=loss").json()
    kinds = {a["key"]: a["kind"] for a in data["axes"]}
    assert kinds == {"lr": "log", "opt": "category", "train.bs": "linear", "summary.loss": "linear"}
    opt = next(a for a in data["axes"] if a["key"] == "opt")
    assert set(opt["labels"]) == {"adam", "sgd"} and set(opt["literals"]) == {'"adam"', '"sgd"'}
    assert len(data["ids"]) == len(opt["values"]) == 59
    bad = client.get("/api/axes?q=lr <")
    assert bad.status_code == 400 and "error" in bad.json()


def test_importance_ranks_the_key_that_drives_the_metric_first(filled: str) -> None:
    st = open_store(filled)
    st.bulk_insert([
        _run(1000 + i, project="imp",
             config={"drives": i % 10, "noise": (i * 7919) % 13, "cat": ["a", "b"][i % 2]},
             summary={"m": (i % 10) ** 2 + ((i * 31) % 5) * 0.01})
        for i in range(300)
    ])  # fmt: skip
    st.close()
    with _client(filled) as client:
        data = client.get("/api/importance?project=imp&metric=m").json()
        # The page asks for it with the axes: one read of the runs for both.
        both = client.get("/api/axes?project=imp&metric=m&importance=1").json()
    assert both["importance"]["keys"] == data["keys"] and len(both["ids"]) == 300
    keys = [k["key"] for k in data["keys"]]
    assert keys[0] == "drives" and set(keys) == {"drives", "noise", "cat"}
    first = data["keys"][0]
    assert first["explained"] > 0.95 and first["spearman"] > 0.95
    assert data["runs"] == 300


def test_sweeps_view_lists_each_sweep_with_its_progress_and_best_run(
    store_location: str,
) -> None:
    sweep_id = runconfig.sweep(
        {"method": "grid", "metric": {"name": "loss"}, "name": "my sweep",
         "parameters": {"x": {"values": [3, 1, 2]}}},
        store=store_location,
    )  # fmt: skip

    def train() -> None:
        run = runconfig.init()
        run.log({"loss": float(run.config.x)})

    runconfig.agent(sweep_id, function=train, store=store_location)
    with _client(store_location) as client:
        page = client.get("/sweeps")
    assert "my sweep" in page.text and "3 finished" in page.text
    assert "loss = 1.0" in page.text
    assert f'href="/sweep/{sweep_id}"' in page.text
    with _client(store_location) as client:
        moved = client.get(f"/sweep/{sweep_id}", follow_redirects=False)
        assert moved.status_code == 303 and "sweep=" in moved.headers["location"]
        runs = client.get(moved.headers["location"])
        assert client.get("/sweep/nope").status_code == 404
    # The sweep's runs, best first by its metric, its progress above them.
    assert "Sweep my sweep" in runs.text and "3 of 3" in runs.text
    xs = [float(x) for x in cells(runs.text, header_keys(runs.text).index("config.x"))]
    assert xs == [1.0, 2.0, 3.0]


def test_a_sweep_whose_metric_needs_quoting_shows_its_runs_best_first(
    store_location: str,
) -> None:
    sweep_id = runconfig.sweep(
        {"method": "grid", "metric": {"name": "val/loss"},
         "parameters": {"x": {"values": [1, 2, 3]}}},
        store=store_location,
    )  # fmt: skip

    def train() -> None:
        run = runconfig.init()
        run.log({"val/loss": abs(run.config.x - 2) + 0.5})

    runconfig.agent(sweep_id, function=train, store=store_location)
    with _client(store_location) as client:
        page = client.get(f"/sweep/{sweep_id}")
        assert 'class="error"' not in page.text
        xs = [float(x) for x in cells(page.text, header_keys(page.text).index("config.x"))]
        assert xs[0] == 2.0 and sorted(xs[1:]) == [1.0, 3.0]
        assert '<option value="`val/loss`" selected>' in page.text
        axes = client.get("/api/axes?metric=`val/loss`&project=uncategorized").json()
        assert "summary.`val/loss`" in [a["key"] for a in axes["axes"]]
        # Clearing the query leaves the sweep's view: no sweep header above other runs.
        clear = re.search(r'class="clear" href="([^"]+)"', page.text)
        assert clear is not None and "sweep=" not in clear.group(1)


def test_a_running_run_s_new_values_come_from_the_live_endpoint(store_location: str) -> None:
    run = runconfig.init(store=store_location, project="live")
    run.log({"loss": 1.0})
    with _client(store_location) as client:
        first = client.get(f"/api/run/{run.id}/live").json()
        run.log({"loss": 0.5})
        second = client.get(f"/api/run/{run.id}/live").json()
        since = client.get(f"/api/run/{run.id}/live?since=1").json()
        run.finish()
        third = client.get(f"/api/run/{run.id}/live").json()
    assert first["state"] == "running" and first["steps"] == 1
    assert second["steps"] == 2 and second["metrics"]["loss"][0]["values"] == [1.0, 0.5]
    assert since["metrics"]["loss"][0]["values"] == [0.5]  # only what the page lacks
    assert since["metrics"]["loss"][0]["steps"] == [1]
    assert third["state"] == "finished"


def test_the_column_chooser_offers_every_key_and_keeps_the_choice_in_the_url(
    client: TestClient,
) -> None:
    page = client.get("/?project=p")
    offered = re.findall(r'name="col" value="([^"]+)"( checked)?', page.text)
    keys = {key for key, _ in offered}
    assert {"config.lr", "config.opt", "config.layers", "config.train.bs", "summary.loss"} <= keys
    assert ("config.layers", "") in offered  # offered, not shown: the same in every run
    assert ("config.lr", " checked") in offered
    chosen = client.get("/?project=p&col=config.layers&col=summary.loss&order=summary.loss")
    assert header_keys(chosen.text) == ["config.layers", "summary.loss"]
    assert "cols=config.layers%2Csummary.loss" in chosen.text  # in every link of the view


@pytest.mark.parametrize("order", [None, "config.lr", "-summary.loss", "run.name"])
def test_pages_of_runs_are_the_sorted_runs_cut_in_pieces(filled: str, order: str | None) -> None:
    with runconfig.Api(filled) as api:
        whole = [r.id for r in api.runs(project="p", order=order)]
        pages = [
            [r.id for r in api.runs(project="p", order=order, limit=7, offset=start)]
            for start in range(0, len(whole), 7)
        ]
        assert [i for page in pages for i in page] == whole
        assert len(api.runs(project="p", order=order, limit=7, offset=len(whole))) == 0
        assert api.count(project="p") == len(whole) == 61
        with pytest.raises(ValueError, match="offset"):
            api.runs(offset=-1)


def test_importance_without_numpy_gives_numpy_s_answer(
    filled: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without numpy the page computes the same statistics in Python (ties and gaps alike).
    from runconfig.ui._data import importance

    runs = [make_run(2000 + i, project="n",
                     config={"a": i % 7, "b": (i * 13) % 5 * 0.5, "c": ["x", "y"][i % 2],
                             **({"gap": i} if i % 3 else {})},
                     summary={"m": (i % 7) * 2 + (i % 2)})
            for i in range(200)]  # fmt: skip
    st = open_store(filled)
    st.bulk_insert(runs)
    st.close()
    with runconfig.Api(filled) as api:
        records = list(api.runs(project="n"))
    with_numpy = importance(records, "m")
    monkeypatch.setitem(__import__("sys").modules, "numpy", None)
    without = importance(records, "m")
    assert [r["key"] for r in without] == [r["key"] for r in with_numpy]
    for a, b in zip(with_numpy, without, strict=True):
        for field in ("spearman", "explained"):
            if a[field] is None:
                assert b[field] is None
            else:
                assert b[field] == pytest.approx(a[field], abs=1e-9), (a, b)


def test_the_lean_read_gives_what_records_give_for_ended_and_running_runs(
    store_location: str,
) -> None:
    ended = runconfig.init(store=store_location, project="lean",
                           config={"lr": 0.1, "opt": {"name": "adam"}, "_hidden": 1})  # fmt: skip
    ended.log({"loss": 0.5})
    ended.finish()
    running = runconfig.init(store=store_location, project="lean", config={"lr": 0.2})
    try:
        running.log({"loss": 0.25})
        with runconfig.Api(store_location) as api:
            lean = {c.id: c for c in api.configs(project="lean", order="config.lr")}
            records = list(api.runs(project="lean", order="config.lr"))
        assert list(lean) == [r.id for r in records] == [ended.id, running.id]
        for record in records:
            assert lean[record.id].config == record.config  # hidden keys left out alike
            assert lean[record.id].summary == record.summary
            assert lean[record.id].name == record.name
        assert lean[ended.id].config == {"lr": 0.1, "opt": {"name": "adam"}}
    finally:
        running.finish()
    # Every run ended (their documents alone are read): the same, hidden keys left out.
    with runconfig.Api(store_location) as api:
        lean = {c.id: c for c in api.configs(project="lean")}
        assert lean[ended.id].config == {"lr": 0.1, "opt": {"name": "adam"}}
        assert lean[running.id].config == {"lr": 0.2}
        assert lean[running.id].summary["loss"] == 0.25
        assert api.configs(project="no such project") == []
        assert api.configs(project="lean", where="lr > 1") == []


def test_the_selection_is_in_the_url_and_reaches_the_compare_form(client: TestClient) -> None:
    # r59 has the lowest loss (first page sorted by it), r0 one of the highest (page two).
    first = client.get("/?project=p&order=summary.loss&sel=r59,r0")
    assert re.search(r'value="r59" aria-label="Select [^"]+" checked>', first.text)
    assert '<input type="hidden" name="run" value="r0">' in first.text  # on another page
    assert "2 selected" in first.text
    links = re.findall(r'href="(/\?[^"]+)"', first.text)
    assert links and all("sel=r59%2Cr0" in link for link in links)  # sorting, paging
    second = client.get("/?project=p&order=summary.loss&sel=r59,r0&page=2")
    assert re.search(r'value="r0" aria-label="Select [^"]+" checked>', second.text)
    assert '<input type="hidden" name="run" value="r59">' in second.text
    unpicked = client.get("/?project=p&order=summary.loss")
    assert " checked>" not in unpicked.text.split("<tbody>", 1)[1]
    assert 'type="hidden" name="run"' not in unpicked.text


def _lean(configs: list[dict[str, Any]], metrics: list[Any]) -> list[RunConfig]:
    return [RunConfig(f"r{i}", f"run-{i}", c, {} if m is None else {"m": m})
            for i, (c, m) in enumerate(zip(configs, metrics, strict=True))]  # fmt: skip


IMPORTANCE_CASES = {
    # numpy's 0.1-step quantile levels once put 3.0000000000000004 where Python put 3.0
    "integers": _lean([{"x": i} for i in range(11)], [0, 0, 0, 5, 9, 9, 9, 9, 9, 9, 9]),
    "infinite and NaN values": _lean(
        [
            {
                "x": [1.0, float("inf"), 2.0, float("nan"), 3.0, 4.0, -float("inf")][i % 7],
                "all_nan": float("nan"),
            }
            for i in range(21)
        ],
        [float(i % 5) for i in range(21)],
    ),
    "a missing key apart from an empty string, a list apart from its text": _lean(
        [
            {"x": ""} if i < 3 else {"x": [1, 2]} if i < 6 else {"x": "[1, 2]"} if i < 9 else {}
            for i in range(12)
        ],
        [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0],
    ),
    "huge metric values": _lean(
        [{"x": i % 4, "y": ["a", "b"][i % 2]} for i in range(12)],
        [1e308 / 4 * ((i % 4) + 1) * (-1 if i % 3 else 1) for i in range(12)],
    ),
    "numbers too big for a float": _lean(
        [{"x": [10**400, 1, 2, 3, -(10**400), 1e300][i % 6]} for i in range(18)],
        [float(i % 3) for i in range(18)],
    ),
}


@pytest.mark.parametrize("case", list(IMPORTANCE_CASES))
def test_importance_is_the_same_with_and_without_numpy_on_awkward_values(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runconfig.ui._data import importance

    runs = IMPORTANCE_CASES[case]
    with_numpy = importance(runs, "m")
    monkeypatch.setitem(__import__("sys").modules, "numpy", None)
    without = importance(runs, "m")
    assert with_numpy, case
    assert [r["key"] for r in without] == [r["key"] for r in with_numpy]
    for a, b in zip(with_numpy, without, strict=True):
        for name in ("spearman", "explained"):
            if a[name] is None:
                assert b[name] is None, (a, b)
            else:
                assert b[name] == pytest.approx(a[name], abs=1e-12), (a, b)
                assert -1.0 <= a[name] <= 1.0
    if case.startswith("a missing key"):
        assert with_numpy[0]["explained"] == pytest.approx(1.0)  # four groups, four values


def test_awkward_values_never_break_the_chart_or_the_importance(store_location: str) -> None:
    st = open_store(store_location)
    st.bulk_insert([
        _run(300 + i, project="odd", config={"big": [10**400, 2, 3][i % 3], "x": i % 4},
             summary={"m": 1e308 / 4 * ((i % 4) + 1) * (-1 if i % 3 else 1)})
        for i in range(12)
    ])  # fmt: skip
    st.close()
    with _client(store_location) as client:
        both = client.get("/api/axes?project=odd&metric=m&importance=1")
        alone = client.get("/api/importance?project=odd&metric=m")
    assert both.status_code == alone.status_code == 200
    axes = {a["key"]: a for a in both.json()["axes"]}
    big = dict(zip(both.json()["ids"], axes["big"]["values"], strict=True))
    assert big["r300"] is None and big["r301"] == 2.0  # no float holds 10**400
    assert axes["summary.m"]["values"][0] is not None
    keys = {k["key"]: k for k in both.json()["importance"]["keys"]}
    assert keys["x"]["explained"] == pytest.approx(alone.json()["keys"][0]["explained"])


def test_a_brushed_category_s_literal_finds_its_runs(store_location: str) -> None:
    values = ['say "hi"', "c:\\temp", "ünï", "two\nlines"]
    st = open_store(store_location)
    st.bulk_insert([_run(400 + i, project="lit", config={"k": v}) for i, v in enumerate(values)])
    st.close()
    with _client(store_location) as client:
        axis = next(a for a in client.get("/api/axes?project=lit").json()["axes"])
        # A query box holds one line: the value with a newline cannot be brushed.
        assert axis["literals"].count(None) == 1
        found = set()
        for literal in filter(None, axis["literals"]):
            page = client.get("/", params={"project": "lit", "q": f"k in [{literal}]"})
            assert "1–1 of <strong>1</strong> runs" in page.text, literal
            found.add(re.findall(r'<tr data-id="([^"]+)"', page.text)[0])
        assert found == {"r400", "r401", "r402"}


@pytest.mark.parametrize("run_id", ["a?b#c", "a/b", "with space", "50%+x", "ünï"])
def test_a_run_whose_id_needs_quoting_has_working_pages(store_location: str, run_id: str) -> None:
    from runconfig.ui._app import run_url

    run = runconfig.init(store=store_location, project="ids", id=run_id, name="odd")
    run.log({"loss": 1.0})
    run.finish()
    with _client(store_location) as client:
        table = client.get("/?project=ids").text
        assert f'href="{run_url(run_id)}"' in table
        page = client.get(run_url(run_id))
        assert page.status_code == 200 and "<h1>odd" in page.text.replace("\n", "")
        assert (
            client.get(run_url(run_id, "/live").replace("/run/", "/api/run/", 1)).json()["steps"]
            == 1
        )
        saved = client.post(run_url(run_id, "/notes"), data={"notes": "n"},
                            headers={"origin": BASE}, follow_redirects=False)  # fmt: skip
        assert saved.status_code == 303 and saved.headers["location"].startswith(run_url(run_id))
        assert client.get(saved.headers["location"]).status_code == 200
        assert client.get(run_url(run_id, "/delete")).status_code == 200
    with runconfig.Api(store_location) as api:
        assert api.run(run_id).notes == "n"


def test_the_page_connects_again_after_postgresql_drops_its_connection(
    pg_schema_url: str,
) -> None:
    import uuid

    from conftest import pg_execute

    name = f"rc-ui-{uuid.uuid4().hex[:8]}"
    location = f"{pg_schema_url}&application_name={name}"
    run = runconfig.init(store=pg_schema_url, project="p", name="kept", config={"lr": 0.1})
    run.finish()
    with _client(location) as client:
        assert "kept" in client.get("/?project=p").text
        # The server ends the page's connection (as a restart does).
        pg_execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   f"WHERE application_name = '{name}'")  # fmt: skip
        again = client.get("/?project=p")
        assert again.status_code == 200 and "kept" in again.text
        pg_execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   f"WHERE application_name = '{name}'")  # fmt: skip
        page = client.get(f"/run/{run.id}")
        assert page.status_code == 200 and "kept" in page.text  # not "No run"


def test_metrics_logged_in_nested_dicts_get_charts(store_location: str) -> None:
    run = runconfig.init(store=store_location, project="nest")
    for step in range(3):
        run.log({"val": {"acc": 0.5 + step / 10}, "train/loss": 1.0 - step / 10})
    run.finish()
    with _client(store_location) as client:
        page = client.get(f"/run/{run.id}")
        live = client.get(f"/api/run/{run.id}/live").json()
    data = json.loads(page.text.split('id="run-data">', 1)[1].split("</script>", 1)[0])
    assert set(data["charts"]["metrics"]) == {"val.acc", "train/loss"}
    assert data["charts"]["metrics"]["val.acc"][0]["values"] == [0.5, 0.6, 0.7]
    summary = re.findall(r'<tr><th scope="row">([^<]+)</th>', page.text.split('id="summary"')[1])
    assert "val.acc" in summary and "train/loss" in summary
    assert set(live["summary"]) >= {"val.acc", "train/loss"}  # named as on the page


def test_a_bad_sort_or_column_choice_is_named_with_its_own_caret(client: TestClient) -> None:
    page = client.get("/", params={"project": "p", "q": "lr > 0", "order": "config.lr asc"})
    error = page.text.split('id="query-error"', 1)[1].split("</div>", 1)[0]
    assert "sort &#39;config.lr asc&#39;: unexpected &#39;asc&#39;" in error
    assert '<pre class="caret">config.lr asc\n          ^</pre>' in error  # under the sort
    escape = re.search(r'<a href="([^"]+)">Show the runs without this sort</a>', error)
    assert escape is not None and "order" not in escape.group(1) and "q=lr" in escape.group(1)
    assert "run-1" in client.get(escape.group(1).replace("&amp;", "&")).text
    assert "sort &#39;run.nosuch&#39;" in client.get("/?order=run.nosuch").text
    cols = client.get("/?project=p&cols=config.")
    assert "columns &#39;config.&#39;" in cols.text
    assert "without this choice of columns" in cols.text
