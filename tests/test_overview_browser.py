"""The overview explorer in a real browser: a one-page Jupyter Book built with the book's offline
assets, served on 127.0.0.1 with every other host blocked and no kernel. Choosing another input in the
static page must change every layer's maps, and the root must carry the class ``cnn-overview``.

The page uses an untrained Tiny VGG (same layers as the trained texture network) so the test does not
depend on trained weights; the static face is the same code either way.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from browser_helpers import ROOT, new_page, screenshot, serve_directory

VENDOR = ROOT / "book" / "_vendor"

CELL = textwrap.dedent("""\
    from cnnlib import models
    from cnnlib.explorers import overview as ovm

    names, x, classes = ovm.texture_inputs(8)
    ovm.overview_explorer(mode="static", model=models.tiny_vgg(len(classes), rng=0),
                          inputs=dict(zip(names, x)), classes=classes)
""")


def _notebook(source: str) -> dict:
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Overview test page"},
                      {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                       "source": source}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def overview_site(tmp_path_factory):
    if not (VENDOR / "html-manager").exists():
        pytest.skip("book/_vendor is missing: run `make vendor` first")
    book = tmp_path_factory.mktemp("overview_book")
    (book / "overview.ipynb").write_text(json.dumps(_notebook(CELL)))
    (book / "_toc.yml").write_text("format: jb-book\nroot: overview\n")
    (book / "_config.yml").write_text(textwrap.dedent(f"""\
        title: overview test
        execute:
          execute_notebooks: force
          timeout: 600
          allow_errors: false
        sphinx:
          local_extensions:
            offline_assets: {ROOT / "book" / "_ext"}
          config:
            html_static_path: ["{VENDOR}", "{ROOT / "book" / "_assets"}"]
            mathjax_path: mathjax/es5/tex-mml-chtml.js
            nb_ipywidgets_js:
              require.js: {{}}
              widgets-config.js: {{}}
              html-manager/dist/embed-amd.js: {{}}
        """))
    env = dict(os.environ, PYTHONPATH=str(ROOT), CNNLIB_EXPLORER_MODE="static")
    jb = os.path.join(os.path.dirname(sys.executable), "jupyter-book")
    subprocess.run([jb, "build", str(book), "--quiet"], check=True, env=env, cwd=book, timeout=900)
    return book / "_build" / "html"


def _visible_pixels(page) -> np.ndarray:
    """The pixels of the overview image the page shows now (the first visible one), read through a canvas
    (its blob: URL may already be revoked)."""
    from PIL import Image

    url = page.evaluate("""() => {
        const img = Array.from(document.querySelectorAll('.cnn-overview img')).find(i => i.offsetParent !== null);
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        c.getContext('2d').drawImage(img, 0, 0);
        return c.toDataURL('image/png'); }""")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def _visible_overview_src(page) -> str:
    img = page.locator(".cnn-overview img:visible").first
    img.wait_for(timeout=20_000)
    return img.get_attribute("src")


def test_static_overview_input_changes_every_layer(browser, overview_site):
    from cnnlib import models
    from cnnlib.explorers import overview as ovm

    names, x, classes = ovm.texture_inputs(8)
    geometry = ovm.Overview(models.tiny_vgg(len(classes), rng=0), dict(zip(names, x, strict=True)), classes)
    pic = geometry._over

    with serve_directory(overview_site) as url:
        page = new_page(browser, width=1280, height=900)
        try:
            page.goto(url + "overview.html", wait_until="load")
            root = page.locator(".cnn-overview").first
            root.wait_for(timeout=30_000)
            assert "cnn-overview" in root.get_attribute("class")
            select = root.locator(".explorer-control-input select").first
            assert select.locator("option").count() == 8
            before_src = _visible_overview_src(page)
            a = _visible_pixels(page)
            select.select_option(index=5)
            page.wait_for_function(
                "([sel, old]) => { const i = document.querySelector(sel); return i && i.src !== old; }",
                arg=[".cnn-overview .widget-image:not([style*='display: none'])", before_src], timeout=15_000)
            after_src = page.evaluate(
                """() => Array.from(document.querySelectorAll('.cnn-overview img'))
                          .find(i => i.offsetParent !== null).src""")
            assert after_src != before_src
            b = _visible_pixels(page)
            assert a.shape == b.shape
            for k, xcol in enumerate(pic.x_cols):  # every layer's column of maps changed
                y0, x0, m = 2 * pic.HEAD, 2 * (xcol + pic.LABEL), 2 * pic.MAP
                h = 10 * 2 * (pic.MAP + pic.GAP)
                assert not np.array_equal(a[y0: y0 + h, x0: x0 + m], b[y0: y0 + h, x0: x0 + m]), \
                    geometry.columns[k].label
            # shown at half its pixels (2× for sharp screens), and the labels are not shrunk below that
            shown = page.evaluate("""() => Array.from(document.querySelectorAll('.cnn-overview img'))
                                       .find(i => i.offsetParent !== null).getBoundingClientRect().width""")
            assert abs(shown - a.shape[1] / 2) <= 2 or shown < a.shape[1] / 2  # never stretched
            # the unit view's layer buttons switch its picture too
            unit = root.locator(".explorer-control-layer").first
            unit_before = page.evaluate("""() => Array.from(document.querySelectorAll('.cnn-overview img'))
                                            .filter(i => i.offsetParent !== null).map(i => i.src).join()""")
            unit.get_by_role("button", name="conv 3", exact=True).click()
            page.wait_for_function(
                """(old) => Array.from(document.querySelectorAll('.cnn-overview img'))
                     .filter(i => i.offsetParent !== null).map(i => i.src).join() !== old""",
                arg=unit_before, timeout=15_000)
            screenshot(page, "overview-static", ".cnn-overview")
            page.assert_clean()
        finally:
            page.context.close()
