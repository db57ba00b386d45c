"""The Chinese edition's machinery (tools/i18n.py, book/_ext/langswitch.py): glossary consistency, what counts
as translated, the language switch's URLs; and, when `python tools/i18n.py build-zh` has run, the built pages."""

from __future__ import annotations

import posixpath
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import i18n  # noqa: E402
import langswitch  # noqa: E402

LANGUAGES = {"en": {"path": "", "label": "English"}, "zh_CN": {"path": "zh", "label": "中文"}}


def _message(msgid, msgstr, comments=()):
    from babel.messages.catalog import Message

    return Message(msgid, msgstr, user_comments=list(comments))


def test_glossary_terms_read_from_the_table():
    terms = {t.english: t.chinese for t in i18n.glossary_terms()}
    assert terms["feature map"] == ("特征图",)
    assert terms["kernel"] == terms["filter"] == ("卷积核",)
    assert terms["dense layer"] == terms["fully connected layer"] == ("全连接层",)
    assert terms["test set"] == ("测试集",) and terms["validation set"] == ("验证集",)
    assert set(terms["dilated convolution"]) == {"空洞卷积", "扩张卷积"}
    assert "CNN" in terms["CNN"] and "卷积神经网络" in terms["convolutional neural network"]


def test_glossary_misses():
    terms = i18n.glossary_terms()
    ok = _message("The *same* small kernel slides over every position.", "*同一个*小卷积核在每个位置上滑动。")
    bad = _message("The *same* small kernel slides over every position.", "*同一个*小滤波器在每个位置上滑动。")
    assert not i18n.glossary_misses(ok, terms)
    assert [t.english for t in i18n.glossary_misses(bad, terms)] == ["kernel"]
    # plurals count; a word inside inline code or a longer word does not
    assert [t.english for t in i18n.glossary_misses(_message("Two CNNs.", "两个网络。"), terms)] == ["CNN"]
    assert not i18n.glossary_misses(_message("See `count_parameters` and convolutional nets.", "见。"), terms)
    # a translator's comment accepts a deliberate exception
    legal = _message("Quoted with attribution.", "经注明出处后引用。")
    assert [t.english for t in i18n.glossary_misses(legal, terms)] == ["attribution"]
    legal.user_comments.append("glossary-ok: attribution (crediting the author)")
    assert not i18n.glossary_misses(legal, terms)


@pytest.mark.parametrize(
    ("msgid", "needed"),
    [
        ("Solution", True),
        ("$p = d(k-1)/2$", False),
        ("\ny[o, i, j] = \\max\\Big(0,\\; b[o] + \\sum_{u=0}^{2} w[o, 0, u, v]\\Big),\n", False),
        ("{cite:p}`lecun1998gradient`", False),
        ("`sobel x` is `[[-1, 0, 1]]`.", True),
        ("—", False),
    ],
)
def test_needs_translation(msgid, needed):
    assert i18n.needs_translation(msgid) is needed


def test_number_misses():
    ok = _message("Test accuracy 0.938 on 2,000 scenes (97.6 %) since 2012; a 2-D kernel, `conv2d(x, 3)`.",
                  "在 2,000 个场景上测试准确率为0.938（97.6 %），自 2012 年起；二维卷积核，`conv2d(x, 3)`。")
    assert i18n.number_misses(ok) == []
    drifted = _message("Test accuracy 0.938 on 2,000 scenes.", "在 2,000 个场景上测试准确率为 0.893。")
    assert i18n.number_misses(drifted) == ["0.938"]
    assert i18n.number_misses(_message("x_1 and conv2d, then 16 layers", "x_1 和 conv2d，然后")) == ["16"]
    written_otherwise = _message("about 124 of its 138 million", "1.38 亿中约 1.24 亿",
                                 ["numbers-ok: 124 138 (亿 counts hundreds of millions)"])
    assert i18n.number_misses(written_otherwise) == []


def test_every_translation_keeps_its_numbers():
    """No number of the English prose changes or goes missing in the Chinese catalogues."""
    from sphinx_intl import catalog as c

    misses = {}
    for po in sorted(i18n.CATALOGUES.rglob("*.po")):
        for m in c.load_po(str(po)):
            if m.id and m.string and not m.fuzzy and (found := i18n.number_misses(m)):
                misses[f"{po.relative_to(i18n.CATALOGUES)}: {m.id[:50]!r}"] = found
    assert misses == {}


def test_switch_links_each_page_to_its_twin():
    en = SimpleNamespace(book_languages=LANGUAGES, language="en")
    zh = SimpleNamespace(book_languages=LANGUAGES, language="zh_CN")
    assert langswitch.twin_href(en, "book/preface.html", "zh_CN") == "../zh/book/preface.html"
    assert langswitch.twin_href(zh, "book/preface.html", "en") == "../../book/preface.html"
    assert langswitch.twin_href(en, "index.html", "zh_CN") == "zh/index.html"
    assert langswitch.twin_href(zh, "search.html", "en") == "../search.html"
    assert langswitch.site_root_prefix(en) == "" and langswitch.site_root_prefix(zh) == "../"
    assert langswitch.current_language(SimpleNamespace(book_languages=LANGUAGES, language="zh")) == "zh_CN"


ZH = ROOT / "_build" / "html" / "zh"


@pytest.mark.skipif(not (ZH / "book" / "preface.html").exists(), reason="run `python tools/i18n.py build-zh` first")
def test_built_chinese_edition():
    """Every page has a twin, the switch resolves both ways, the zh pages are lang="zh-CN" with Sphinx's
    labels and the translated captions in Chinese."""
    from bs4 import BeautifulSoup

    site = ZH.parent
    for page in sorted(ZH.rglob("*.html")):
        if "_static" in page.parts:
            continue
        rel = page.relative_to(ZH).as_posix()
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        if soup.html is None:  # index.html: sphinx-external-toc's redirect to the root page
            continue
        assert soup.html["lang"] == "zh-CN", rel
        link = soup.select_one("nav.lang-switch a")
        assert link is not None, rel
        target = posixpath.normpath(posixpath.join("zh", posixpath.dirname(rel), link["href"]))
        assert target == rel and (site / target).exists(), (rel, link["href"])
        english = BeautifulSoup((site / rel).read_text(encoding="utf-8"), "html.parser")
        back = english.select_one("nav.lang-switch a")["href"]
        assert posixpath.normpath(posixpath.join(posixpath.dirname(rel), back)) == f"zh/{rel}"
    preface = (ZH / "book" / "preface.html").read_text(encoding="utf-8")
    assert "<h1>前言" in preface and "卷积神经网络" in preface
    assert "章节" in preface  # the caption of the chapters' part, from _toc.yml
    # a chapter is the English .ipynb with its messages translated (MyST-NB >= 1.2 parses them as MyST, #587)
    chapter = (ZH / "notebooks" / "01_background.html").read_text(encoding="utf-8")
    assert "背景：为什么要看清 CNN 的内部？" in chapter and "解答" in chapter


@pytest.mark.skipif(not (ZH / "book" / "preface.html").exists(), reason="run `python tools/i18n.py build-zh` first")
def test_chinese_figures_have_every_text_translated_and_drawn():
    """The Chinese build drew no figure text without a translation (locale/zh_CN/figures.json) and matplotlib
    found every glyph in the figures' font (its warning would show under the figure)."""
    missing = i18n.FIGURE_MISSES.read_text(encoding="utf-8").splitlines() if i18n.FIGURE_MISSES.exists() else []
    assert missing == [], f"add to {i18n.FIGURES.name}: {missing[:20]}"
    for page in sorted((ZH / "notebooks").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        assert "missing from font" not in text and "missing from current font" not in text, page.name


@pytest.mark.skipif(not (ZH / "book" / "preface.html").exists(), reason="run `python tools/i18n.py build-zh` first")
def test_theme_labels_are_chinese_on_chinese_pages():
    """The themes' tooltips (book/_ext/theme_labels.py): Chinese on the Chinese pages, English on the English."""
    zh = (ZH / "notebooks" / "02_core_concepts.html").read_text(encoding="utf-8")
    en = (ZH.parent / "notebooks" / "02_core_concepts.html").read_text(encoding="utf-8")
    for english, chinese in [("Toggle primary sidebar", "显示/隐藏主侧边栏"), ("Print to PDF", "打印为 PDF"),
                             ("Link to this heading", "链接到此标题"), ("System Settings", "跟随系统设置"),
                             ("Color mode", "配色模式")]:
        assert chinese in zh and f'"{english}"' not in zh, english
        assert f'"{english}"' in en and chinese not in en, english
    assert "列印成" not in zh  # sphinx-book-theme's zh_CN catalogue has Taiwan's wording


def _embedded_texts(page: Path) -> list[str]:
    """The controls' labels and HTML texts of the explorers embedded in a built page (their widget state)."""
    import json
    import re

    text = page.read_text(encoding="utf-8")
    found = re.findall(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', text, re.S)
    states = [m["state"] for block in found for m in json.loads(block)["state"].values()]
    return [st[k] for st in states for k in ("description", "value") if isinstance(st.get(k), str) and st[k]]


@pytest.mark.skipif(not (ZH / "book" / "preface.html").exists(), reason="run `python tools/i18n.py build-zh` first")
def test_theme_labels_catalogue_keeps_its_hand_written_entries():
    """sphinx.po is written by hand (book/_ext/theme_labels.py): most of its labels live in the themes' own
    templates, which the gettext builder never sees, so `extract` must leave the file alone."""
    from babel.messages.pofile import read_po

    with (i18n.CATALOGUES / "sphinx.po").open("rb") as f:
        catalogue = read_po(f, locale="zh_CN")
    for label in ("Link to this heading", "Link to this definition", "Color mode", "System Settings",
                  "Toggle primary sidebar", "Toggle secondary sidebar"):
        assert catalogue.get(label) is not None and catalogue[label].string, label
    assert not catalogue.obsolete


def test_each_edition_embeds_its_own_explorers():
    """The Chinese pages carry the Chinese twins of the explorers (cnnlib.twin_outputs), with no English
    label that has a translation; the English pages carry no Chinese (the twins never reach them)."""
    import re

    from cnnlib.translations import ZH as CATALOGUE

    cjk = re.compile(r"[\u4e00-\u9fff]")
    pages = 0
    for zh_page in sorted((ZH / "notebooks").glob("*.html")):
        english, chinese = _embedded_texts(ZH.parent / "notebooks" / zh_page.name), _embedded_texts(zh_page)
        assert bool(english) == bool(chinese), zh_page.name
        if not english:
            continue
        pages += 1
        assert [t for t in english if cjk.search(t)] == [], zh_page.name
        assert [t for t in chinese if t in CATALOGUE] == [], zh_page.name
        assert sum(bool(cjk.search(t)) for t in chinese) >= 3, zh_page.name
    assert pages >= 7


# --------------------------------------------------------------------------- the explorers' text


def test_explorer_catalogue_follows_the_glossary():
    """cnnlib.translations is checked like a catalogue: a glossary term in the English text has its Chinese."""
    from cnnlib.translations import ZH as CATALOGUE

    terms = i18n.glossary_terms()
    misses = {en: [t.english for t in i18n.glossary_misses(_message(en, zh), terms)] for en, zh in CATALOGUE.items()}
    assert {en: m for en, m in misses.items() if m} == {}
    assert all(zh.strip() for zh in CATALOGUE.values())
    # a template keeps its fields
    for en, zh in CATALOGUE.items():
        assert sorted(i18n.re.findall(r"\{\w*\}", en)) == sorted(i18n.re.findall(r"\{\w*\}", zh)), en


def test_every_explorer_label_has_its_chinese(monkeypatch):
    """Builds every explorer of the book (bench/bench_explorers.py's list) live and records what it passes
    through ``tr``: each text with a word in it has a Chinese translation, and ``CNNLIB_LANG=zh`` shows it."""
    import re

    import cnnlib.widgets as W
    from cnnlib.translations import ZH as CATALOGUE

    sys.path.insert(0, str(ROOT / "bench"))
    import bench_explorers

    seen = []
    real_tr = W.tr
    monkeypatch.setattr(W, "tr", lambda text: seen.append(text) or real_tr(text))
    monkeypatch.setenv("CNNLIB_EXPLORER_MODE", "live")
    for _, make in bench_explorers.factories().values():
        explorer = make()
        if hasattr(explorer, "build"):
            explorer.build("live")
    words = sorted({t for t in seen if re.search(r"[A-Za-z]{2,}", t)})
    assert len(words) > 80, words
    assert [t for t in words if t not in CATALOGUE] == []
    monkeypatch.setenv("CNNLIB_LANG", "zh")
    assert real_tr("stride") == "步幅" and real_tr("Pooling explorer") == "池化探索器"
    monkeypatch.setenv("CNNLIB_LANG", "en")
    assert real_tr("stride") == "stride"


@pytest.mark.skipif(not (ZH / "book" / "preface.html").exists(), reason="run `python tools/i18n.py build-zh` first")
def test_chinese_pages_prose_is_chinese():
    """At least 95 % of each Chinese page's prose letters are Chinese (code, outputs, maths, names and the
    glossary's English column aside); the API page's docstrings stay English by design."""
    shares = {}
    for page in sorted(ZH.rglob("*.html")):
        rel = page.relative_to(ZH).as_posix()
        if "_static" in page.parts or rel in ("search.html", "genindex.html", "index.html", "py-modindex.html",
                                              "book/api.html"):
            continue
        cjk, latin = i18n.prose_share(page.read_text(encoding="utf-8"))
        shares[rel] = cjk / max(1, cjk + latin)
    print({k: f"{v:.1%}" for k, v in shares.items()})
    assert len(shares) >= 14
    assert {k: v for k, v in shares.items() if v < 0.95} == {}


def test_prose_share_leaves_code_maths_and_names_aside():
    html = ("<article><p>卷积核在图像上滑动 with Grad-CAM and PyTorch, $x + y$</p><pre>print('hello')</pre>"
            "<div class='cell_output'>accuracy 97%</div><p>untranslated words</p></article>")
    cjk, latin = i18n.prose_share(html)
    assert cjk == 9 and latin == len("with") + len("and") + len("untranslated") + len("words")
