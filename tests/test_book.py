"""The built book (_build/html): every page, no request to another host, pinned vendored assets,
page weights, static explorers embedded. `make test` builds the book first; the `built_site` fixture
builds it if it is missing."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from browser_helpers import toc_files
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
# Each static explorer is held under ~2 MB by cnnlib.widgets; a chapter page with several stays under this.
MAX_PAGE_BYTES = 3_000_000  # issue 12: each page stays under 3 MB
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


# --------------------------------------------------------------------------- links to a repository

# Hosts of repository and launch buttons. doi.org and arxiv.org links of the references are real.
REPO_HOSTS = re.compile(r"^https?://(www\.)?(github\.com|gitlab\.com|bitbucket\.org|mybinder\.org|"
                        r"colab\.research\.google\.com|deepnote\.com)(/|$)", re.I)


def _configured_repository():
    """The repository URL the build was given: BOOK_REPOSITORY_URL, else book_repository_url in _config.yml."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = os.environ.get("BOOK_REPOSITORY_URL", "").strip()
    return (url or (config.get("sphinx", {}).get("config", {}).get("book_repository_url") or "").strip()).rstrip("/")


def test_no_page_links_to_an_unset_repository(built_site):
    """Without a configured repository no page links to GitHub, Binder or Colab, or shows a clone command;
    with one, every link to those hosts is the configured repository (or Binder/Colab launching it)."""
    url = _configured_repository()
    offenders = []
    for page in _pages(built_site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        name = page.relative_to(built_site).as_posix()
        for a in soup.find_all("a", href=True):
            href = a["href"].strip()
            if REPO_HOSTS.match(href) and not (url and url.split("://", 1)[1] in href):
                offenders.append(f"{name}: <a href={href!r}>")
        text = soup.get_text(" ")
        if "cnn-textbook/cnn-explained" in text or "cnn-textbook/cnn-explained" in str(soup):
            offenders.append(f"{name}: the old placeholder repository")
        if not url and re.search(r"git clone|pip install git\+", text):
            offenders.append(f"{name}: a clone or install command with no repository to name")
        if not url and soup.select(".dropdown-launch-buttons, a.btn[href*='binder'], a.btn[href*='colab']"):
            offenders.append(f"{name}: launch buttons")
    assert not offenders, "\n".join(offenders)


def test_repository_buttons_follow_the_configured_url(built_site):
    url = _configured_repository()
    html = (built_site / "notebooks/02_core_concepts.html").read_text()
    if not url:
        assert "mybinder.org" not in html and "colab.research.google.com" not in html
        assert "fa-github" not in html, "a repository button with no repository"
        return
    nb = "notebooks/02_core_concepts.ipynb"
    assert f'href="{url}"' in html
    assert "mybinder.org/v2/" in html and f"/blob/main/{nb}" in html


def test_repository_blocks_of_prose_pages():
    """book/_ext/repository.py keeps or drops the preface's clone instructions (unit test, no build)."""
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import repository

    text = "a\n<!-- if-repository -->\n`git clone REPOSITORY_URL`\n<!-- end-if-repository -->\nb" \
           "\n<!-- if-no-repository -->none<!-- end-if-no-repository -->"
    assert repository.expand(text, "") == "a\n\nb\nnone"
    assert repository.expand(text, "https://example.org/o/r") == "a\n\n`git clone https://example.org/o/r`\n\nb\n"
    preface = (ROOT / "book" / "preface.md").read_text()
    assert "git clone" not in repository.expand(preface, "")
    assert "git clone https://example.org/o/r" in repository.expand(preface, "https://example.org/o/r")

    class Config:
        html_theme_options = {"launch_buttons": {"notebook_interface": "classic", "binderhub_url": "x"}}
        html_context = {}
        book_repository_url = ""

    class App:
        class tags:  # noqa: N801
            added = []
            add = added.append

    os.environ.pop(repository.ENV, None)
    repository._configure(App, Config)
    assert Config.html_theme_options["use_repository_button"] is False
    assert "binderhub_url" not in Config.html_theme_options["launch_buttons"]
    Config.book_repository_url = "https://github.com/o/r"
    repository._configure(App, Config)
    assert Config.html_theme_options["repository_url"] == "https://github.com/o/r"
    assert Config.html_theme_options["launch_buttons"]["colab_url"] == repository.COLAB
    assert App.tags.added == ["repository"]
    Config.book_repository_url = "not a url"
    with pytest.raises(ValueError, match="https://"):
        repository._configure(App, Config)


# --------------------------------------------------------------------------- headings, exercises, citations

_NUMBER = re.compile(r"^\s*(§\s*)?\d+(\.\d+)*\.?(\s|$)")


def _heading_title(h):
    """(section number Jupyter Book gave the heading, the heading's own text)."""
    number = h.find("span", class_="section-number")
    parts = [t for t in h.find_all(string=True) if not (number and t.parent is number)
             and "headerlink" not in (t.parent.get("class") or [])]
    return (number.get_text(strip=True) if number else ""), "".join(parts).strip()


def test_no_heading_carries_two_numbers(built_site):
    """Section numbers come from Jupyter Book alone: no heading (in the page or the sidebars) adds its own."""
    offenders = []
    for page in _pages(built_site):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for h in soup.select("article h1, article h2, article h3, article h4, article h5, article h6"):
            number, title = _heading_title(h)
            if number and _NUMBER.match(title):
                offenders.append(f"{page.relative_to(built_site)}: {number} {title}")
        for a in soup.select(".bd-sidebar a.reference, .bd-toc a.reference"):
            text = a.get_text(" ", strip=True)
            if re.match(r"^\d+(\.\d+)*\.\s+(§\s*)?\d+(\.\d+)*\.?\s", text):
                offenders.append(f"{page.relative_to(built_site)} (contents): {text}")
    assert not offenders, "headings numbered twice:\n" + "\n".join(sorted(set(offenders)))


def _chapter_pages(site):
    """{chapter: [its page, its section pages]} from _toc.yml (the numbered part)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    out = {}
    for part in toc["parts"]:
        if part.get("numbered"):
            for ch in part["chapters"]:
                out[ch["file"]] = [site / f"{ch['file']}.html"] + [site / f"{s['file']}.html"
                                                                    for s in ch.get("sections", [])]
    return out


def count_exercises(soup) -> int:
    """Exercises in a page, by the book's marker: the section whose heading says "Exercises" (any level); in
    it, outside solution dropdowns/admonitions, every item of a numbered list (``1.``, ``2.`` …, also when the
    list is split by solutions: ``<ol start="3">``) and every paragraph that opens with a bold number
    (``**4. Title.**``). Exercise numbers are counted once."""
    numbers = set()
    for section in soup.find_all("section"):
        heading = section.find(re.compile("^h[1-6]$"))
        if not heading or "exercise" not in heading.get_text().lower():
            continue
        for ol in section.find_all("ol"):
            if ol.find_parent(class_=re.compile("admonition|dropdown")) or ol.find_parent("ol"):
                continue
            start = int(ol.get("start", 1))
            numbers.update((id(section), start + i) for i, _ in enumerate(ol.find_all("li", recursive=False)))
        for strong in section.select("p > strong:first-child"):
            if strong.find_parent(class_=re.compile("admonition|dropdown")):
                continue
            m = re.match(r"\s*(\d+)\.", strong.get_text())
            if m:
                numbers.add((id(section), int(m.group(1))))
    return len(numbers)


def count_citations(soup) -> int:
    """Citations in a page: links of ``{cite:p}``/``{cite:t}`` into the bibliography (book/references)."""
    article = soup.find("article") or soup
    return len([a for a in article.find_all("a", href=True) if re.search(r"references\.html#", a["href"])])


def test_every_chapter_has_five_exercises_and_a_citation(built_site):
    report, short = [], []
    for chapter, pages in _chapter_pages(built_site).items():
        soups = [BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser") for p in pages if p.exists()]
        exercises = sum(count_exercises(s) for s in soups)
        citations = sum(count_citations(s) for s in soups)
        report.append(f"{chapter}: {exercises} exercises, {citations} citations")
        if exercises < 5 or citations < 1:
            short.append(report[-1])
    print("\n".join(report))
    assert not short, "chapters short of exercises (>= 5) or citations (>= 1):\n" + "\n".join(short)


def test_exercise_counter_reads_both_styles():
    html = """<section><h2>Exercises</h2><ol><li>a</li><li>b</li></ol>
    <div class="admonition dropdown"><ol><li>solution</li></ol></div><ol start="3"><li>c</li></ol>
    <p><strong>4. Title.</strong> d</p><div class="dropdown"><p><strong>5. not one</strong></p></div></section>
    <section><h2>Other</h2><ol><li>x</li></ol></section>"""
    assert count_exercises(BeautifulSoup(html, "html.parser")) == 4


# --------------------------------------------------------------------------- the theme, the font, the article


def test_header_has_one_toggle_of_each_kind(built_site):
    """sphinx-book-theme 1.3.0 bug (#999): the navbar's second, hidden toggles made the visible ones dead."""
    for name in ["book/preface", "notebooks/02_core_concepts"]:
        soup = BeautifulSoup((built_site / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        assert len(soup.select(".primary-toggle")) == 1, name
        assert len(soup.select(".secondary-toggle")) <= 1, name
        header = soup.select_one("#pst-header")
        assert header is None or not header.select(".search-button-field, .sidebar-toggle"), name


def test_chinese_text_is_marked_and_the_font_is_served(built_site):
    html = (built_site / "book/glossary.html").read_text(encoding="utf-8")
    assert '<span lang="zh-Hans">' in html
    assert "cjk.css" in html and "cjk-fonts.css" in html
    css = (built_site / "_static/cjk-fonts.css").read_text()
    assert "unicode-range" in css and "fonts/book-cjk.woff2" in css
    assert (built_site / "_static/fonts/book-cjk.woff2").exists()


def _cjk_font():
    pytest.importorskip("fontTools")
    sys.path.insert(0, str(ROOT / "tools"))
    import cjk_font

    return cjk_font


def test_cjk_font_slices_cover_exactly_the_books_characters():
    """Each committed slice has a glyph for every CJK character of its edition's sources and no other
    (regenerate with `make cjk-font` after adding Chinese text); the English edition's slice stays small, the
    CSS declares each slice for exactly its characters."""
    cjk_font = _cjk_font()
    english = ""
    for path, wanted in cjk_font.slices():
        have = cjk_font.font_characters(path)
        missing = "".join(c for c in wanted if c not in have)
        assert not missing, f"{path.name} lacks {missing!r}: run `make cjk-font` and commit it"
        assert have == wanted, f"{path.name}: unused glyphs {set(have) - set(wanted)}: run `make cjk-font`"
        assert not set(have) & set(english), "a character in two slices"
        english = english or have
        print(f"{path.name}: {len(have)} characters, {path.stat().st_size / 1024:.1f} KB")
    assert "卷" in english and "积" in english
    assert cjk_font.OUT.stat().st_size < 200_000  # what an English page with Chinese in it downloads
    assert cjk_font.CSS.read_text(encoding="utf-8") == cjk_font.font_css(cjk_font.slices())
    # the Chinese edition's figures: matplotlib's subset has exactly their characters
    assert cjk_font.font_characters(cjk_font.FIGURE_FONT) == cjk_font.figure_characters()


def test_unicode_range_lists_exactly_the_characters():
    cjk_font = _cjk_font()
    assert cjk_font.unicode_range("丁一七卷") == "U+4E00-4E01, U+4E03, U+5377"
    assert cjk_font.unicode_range("") == ""


def test_cjk_font_subset_is_reproducible(tmp_path):
    """One command rebuilds the committed files byte for byte (needs fonts-noto-cjk, fontTools and brotli)."""
    cjk_font = _cjk_font()
    pytest.importorskip("brotli")
    source = cjk_font.find_source_font()
    if source is None:
        pytest.skip("fonts-noto-cjk is not installed")
    for path, chars in cjk_font.fonts():
        out = cjk_font.subset(chars, source, tmp_path / path.name)
        assert out.read_bytes() == path.read_bytes(), f"run `make cjk-font` and commit {path.name}"


def test_the_article_text_is_included(built_site):
    text = (ROOT / "book/article-original.txt").read_text(encoding="utf-8")
    assert text.startswith("1.背景介绍") and "6.附录常见问题与解答" in text
    html = (built_site / "book/article-original.html").read_text(encoding="utf-8")
    assert "数学模型公式为" in html and "def convolution(input, kernel, stride=1, padding=0):" in html
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "卷积神经网络的解释性与可视化" in readme and "../" not in readme
    assert (ROOT / "LICENSE").exists() and "CC BY 4.0" in (ROOT / "LICENSE").read_text()


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


def test_api_page_has_every_public_module():
    """Each public module of cnnlib (not ``_private``, not the explorers) has its section on the API page."""
    page = (ROOT / "book" / "api.md").read_text()
    modules = sorted(p.stem for p in (ROOT / "cnnlib").glob("*.py") if not p.stem.startswith("_"))
    assert "matmul" in modules
    assert [m for m in modules if f".. automodule:: cnnlib.{m}\n" not in page] == []
