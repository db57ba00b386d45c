"""The built book (_build/html): every page, no request to another host, pinned vendored assets,
page weights, static explorers embedded. `make test` builds the book first; the `built_site` fixture
builds it if it is missing."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from browser_helpers import toc_files
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
# Each static explorer is held under ~2 MB by cnnlib.widgets; a chapter page with several stays under this.
MAX_PAGE_BYTES = 2_500_000
EXTERNAL = re.compile(r"^(https?:)?//", re.I)
# Elements and attributes that make the browser fetch something.
FETCHING = [
    ("script", "src"),
    ("link", "href"),
    ("img", "src"),
    ("img", "srcset"),
    ("source", "src"),
    ("source", "srcset"),
    ("iframe", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("input", "src"),
]


def _pages(site):
    return sorted(site.rglob("*.html"))


def test_every_page_of_the_toc_is_built(built_site):
    for f in toc_files():
        assert (built_site / f"{f}.html").exists(), f"{f}.html was not built"
    assert (built_site / "index.html").exists()


def test_no_page_fetches_from_another_host(built_site):
    offenders = []
    for page in _pages(built_site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in FETCHING:
            for el in soup.find_all(tag):
                value = el.get(attr)
                if value and EXTERNAL.match(value.strip()):
                    if tag == "link" and set(el.get("rel", [])) & {"canonical", "alternate"}:
                        continue  # not fetched
                    offenders.append(f"{page.relative_to(built_site)}: <{tag} {attr}={value!r}>")
        for style in soup.find_all("style"):
            offenders += [f"{page.relative_to(built_site)}: {u}" for u in _css_urls(style.get_text())]
    for css in built_site.rglob("*.css"):
        offenders += [f"{css.relative_to(built_site)}: {u}" for u in _css_urls(css.read_text(errors="replace"))]
    assert not offenders, "\n".join(offenders)


def _css_urls(text):
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text)
    return [u for u in urls if EXTERNAL.match(u.strip())]


def test_mathjax_and_widget_manager_are_served_locally(built_site):
    static = built_site / "_static"
    for f in ["mathjax/es5/tex-mml-chtml.js", "require.js", "html-manager/dist/embed-amd.js", "widgets-config.js"]:
        assert (static / f).exists(), f
    assert list((static / "mathjax/es5/output/chtml/fonts/woff-v2").glob("*.woff")), "MathJax fonts"
    assert list((static / "html-manager/dist").glob("*.woff2")), "widget fonts"
    sys.path.insert(0, str(ROOT / "tools"))
    import vendor

    assert (static / "VERSIONS").read_text() == vendor.versions_line(), "vendored files are not the pinned set"
    html = (built_site / "notebooks/02_core_concepts.html").read_text()
    assert 'src="../_static/mathjax/es5/tex-mml-chtml.js' in html
    assert html.index("require.js") < html.index("widgets-config.js") < html.index("embed-amd.js")
    assert html.index("tex-mml-chtml.js") < html.index("mathjax-hub-shim.js")
    assert "data-jupyter-widgets-cdn-only" not in html
    assert html.count("THEBE_JS_URL =") <= 1


def test_page_weights(built_site):
    sizes = {p.relative_to(built_site).as_posix(): p.stat().st_size for p in _pages(built_site)}
    report = ", ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sorted(sizes.items()) if k.startswith("notebooks/"))
    print(f"page weights: {report}")
    heavy = {k: v for k, v in sizes.items() if v > MAX_PAGE_BYTES}
    assert not heavy, f"pages over {MAX_PAGE_BYTES / 1e6} MB: {heavy}"


def test_chapter_2_explorer_is_static(built_site):
    html = (built_site / "notebooks/02_core_concepts.html").read_text()
    soup = BeautifulSoup(html, "html.parser")
    state = soup.find("script", type="application/vnd.jupyter.widget-state+json")
    assert state is not None, "no widget state: the explorer was not embedded"
    text = state.get_text()
    assert '"StackModel"' in text and '"LinkModel"' in text, "expected precomputed stacks linked to the controls"
    assert "explorer-control-stride" in text


def test_launch_and_repository_buttons(built_site):
    html = (built_site / "notebooks/02_core_concepts.html").read_text()
    repo, nb = "cnn-textbook/cnn-explained", "notebooks/02_core_concepts.ipynb"
    assert f"mybinder.org/v2/gh/{repo}/main?urlpath=tree/{nb}" in html
    assert f"colab.research.google.com/github/{repo}/blob/main/{nb}" in html
    assert 'href="https://github.com/cnn-textbook/cnn-explained"' in html


@pytest.mark.parametrize(
    "author",
    ["LeCun", "Zeiler", "Simonyan", "Springenberg", "Selvaraju", "Smilkov", "Sundararajan", "Adebayo", "Dumoulin",
     "Olah"],
)
def test_references(built_site, author):
    assert author in (built_site / "book/references.html").read_text()


def test_api_page_documents_cnnlib(built_site):
    html = (built_site / "book/api.html").read_text()
    for name in ["cnnlib.functional.conv2d", "cnnlib.layers.Conv2d", "cnnlib.data.load_digits",
                 "cnnlib.widgets.Explorer", "cnnlib.widgets.Choice"]:
        assert f'id="{name}"' in html, name
