"""The leaderboard page: one self-contained file with every row, sortable headers, and no request leaving it
(checked in Debian's headless Chromium over the DevTools protocol on a pipe)."""

import json
import os
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seebench.leaderboard import table as leaderboard
from seebench.leaderboard.publish import publish
from seebench.results.store import ResultStore, load_results
from test_core_leaderboard import ROWS, camera_result, result

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A run with the main rows of test_core_leaderboard (curves on two of them) and a camera table with a
    sample grid, published into a leaderboard folder."""
    tmp = tmp_path_factory.mktemp("page")
    store = ResultStore(tmp / "run")
    for row, (role, values, ref) in ROWS.items():
        for seed, value in enumerate(values):
            r = result(row, role, seed, value, "x", ref=ref)
            if row in ("dead-leaves", "white-noise"):
                r["curves"] = {"pretrain/loss": {"step": list(range(0, 100, 10)),
                                                 "value": [5.0 - 0.3 * i - 0.1 * seed for i in range(10)]}}
            r["git_commit"] = "0123456789abcdef0123"
            store.write(r)
    grid = np.zeros((40, 40, 3), dtype=np.uint8)
    grid[::2, ::2] = (200, 30, 30)
    Image.fromarray(grid).save(tmp / "run" / "samples.png")
    kid = {"kid": {"higher_is_better": False, "primary": True}}
    for row, value in (("dcgan", 0.0123), ("dcgan+diffaugment", 0.00871)):
        r = camera_result(row, 0, "kid", {"kid": value}, kid)
        r["artifacts"] = {"samples": "samples.png"}
        store.write(r)
    target = tmp / "leaderboard"
    publish(tmp / "run", target)
    return target


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_one_file_with_every_row_provenance_chart_curves_and_grids(published):
    page = published / "index.html"
    text = page.read_text(encoding="utf-8")
    parser = Elements()
    parser.feed(text)
    tags = parser.tags
    urls = [a[k] for _, a in tags for k in ("src", "href") if k in a]
    assert urls and all(u.startswith("data:image/png;base64,") for u in urls)  # every picture inlined
    assert len(urls) == 4  # the chart, the curves and the two camera rows' sample grids
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "img-src data:" in csp
    rows = [a["data-row"] for t, a in tags if t == "tr" and "data-row" in a]
    board = leaderboard.build_all(load_results([published / "results"]).results)
    assert [name for name, _ in board] == ["main", "camera"]
    assert rows == [k[0] for _, b in board for k in b.rows()]  # every row, in the table's order
    assert "Spearman ρ(knn top1, paper imagenet100-top1) = +1.00, 95 % bootstrap interval" in text
    assert "63.00 ± 4.97" in text and "38.90" in text  # the markdown's cells, the paper column
    assert "seeds 0, 1, 2" in text and "0123456789ab" in text and "seebench 0.1.0" in text  # provenance
    assert "1.5 s the longest cell" in text
    assert os.stat(page).st_mode & 0o044 == 0o044  # readable by a web server


class DevTools:
    """Chromium over --remote-debugging-pipe: commands on fd 3, replies and events on fd 4, NUL-separated JSON."""

    def __init__(self, profile: Path):
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()

        def wire():  # in the child, before exec: the pipe ends where Chromium expects them
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe", "--no-first-run",
             "--no-default-browser-check", f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._buf, self._id, self.events = b"", 0, []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            self.call(f"{domain}.enable", session=self.session)

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            ready, _, _ = select.select([self._in], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 30) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._out, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event for e in self.events):
            self.events.append(self._message(deadline))

    def open(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", {"url": url}, self.session)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str):
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, self.session)
        return reply["result"].get("value")

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - it may close the pipe before it answers
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._in)
        os.close(self._out)


COLUMN = """(function (name) {
  var heads = Array.from(document.querySelectorAll('#table-main thead th'));
  var i = heads.findIndex(function (th) { return th.textContent.trim() === name; });
  return Array.from(document.querySelectorAll('#table-main tbody tr')).map(function (r) { return r.cells[i].textContent; });
})"""
CLICK = """(function (name) {
  var th = Array.from(document.querySelectorAll('#table-main thead th')).find(function (th) {
    return th.textContent.trim() === name; });
  th.querySelector('button').click();
  return th.getAttribute('aria-sort');
})"""


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/install --tests installs it)")
def test_the_page_in_headless_chromium_sorts_on_click_and_fetches_nothing(published, tmp_path):
    leak = tmp_path / "leak.html"  # the control: a page that does fetch must be caught by the same check
    leak.write_text('<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    browser = DevTools(tmp_path / "profile")
    try:
        page = (published / "index.html").resolve().as_uri()
        browser.open(page)
        assert browser.js("document.querySelectorAll('#table-main tbody tr').length") == len(ROWS)
        assert browser.js("document.querySelectorAll('#table-camera tbody tr').length") == 2
        assert browser.js("Array.from(document.images).every(function (i) { return i.complete && i.naturalWidth > 0; })")
        rows = browser.js(f"{COLUMN}('pretraining data')")
        assert rows[0] == "fashion-mnist (real)" and rows[-1] == "spectrum"  # the table's own order first
        assert browser.js(f"{CLICK}('knn top1')") == "ascending"
        values = [float(v.split()[0]) for v in browser.js(f"{COLUMN}('knn top1')")]
        assert values == sorted(values) and values[0] == pytest.approx(30.5)
        assert browser.js(f"{CLICK}('knn top1')") == "descending"
        assert browser.js(f"{COLUMN}('pretraining data')")[0] == "fashion-mnist (real)"
        assert browser.js(f"{CLICK}('pretraining data')") == "ascending"
        names = browser.js(f"{COLUMN}('pretraining data')")
        assert names == sorted(names, key=str.lower) and len(names) == len(ROWS)
        assert browser.js("document.querySelector('#table-main details dl').textContent").startswith("seeds")
        assert [u for u in browser.requests() if not u.startswith("data:")] == [page]  # the file itself only
        browser.open(leak.as_uri())
        assert "http://127.0.0.1:9/x.png" in browser.requests()
    finally:
        browser.close()


def test_a_run_with_failed_cells_still_leaves_its_markdown_chart_and_page(tmp_path):
    from seebench.leaderboard.run_report import write_run_report

    ok = result("white-noise", "synthetic", 0, 40.0, "x")
    bad = result("dead-leaves", "synthetic", 0, 0.0, "x", status="failed")
    written = write_run_report(tmp_path / "some", leaderboard.build_all([ok, bad]), [ok, bad], "seebench t")
    assert set(written) == {"markdown", "chart", "page"}  # no curves.png: no result recorded any
    assert "| white-noise" in written["markdown"].read_text() and Image.open(written["chart"]).format == "PNG"
    assert "1 failed cell(s) not shown" in written["page"].read_text()
    written = write_run_report(tmp_path / "none", leaderboard.build_all([bad]), [bad], "seebench t")
    assert set(written) == {"markdown", "page"}  # every cell failed: nothing to chart, still a page
    assert "_no finished results_" in written["markdown"].read_text()
    assert "no finished results" in written["page"].read_text()
