"""The chapter notebooks as committed: in the book's order, without outputs, following the conventions of
README "Writing chapters". (nbval runs them in a fresh kernel: `make notebooks`.)"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import nbformat
import pytest
from browser_helpers import CHAPTERS, toc_files

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
HIDDEN_TAG = "remove-cell"  # checks for the test suite: run by nbval, absent from the book


def test_every_chapter_exists_in_order_and_in_the_toc():
    present = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert [c for c in present if c in CHAPTERS] == CHAPTERS
    in_toc = [f.removeprefix("notebooks/") for f in toc_files() if f.startswith("notebooks/")]
    assert in_toc[: len(CHAPTERS)] == CHAPTERS
    for stem in present:
        assert stem in in_toc, f"notebooks/{stem}.ipynb is not in _toc.yml"


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert not cell.outputs, f"{path.name} cell {i} has outputs: clear them before committing"
        assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in nb.metadata, f"{path.name} carries saved widget state"


@pytest.mark.parametrize("stem", CHAPTERS)
def test_chapter_conventions(stem):
    nb = nbformat.read(NOTEBOOKS / f"{stem}.ipynb", as_version=4)
    nbformat.validate(nb)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")  # absent: Jupyter's default, python3
    assert kernel == "python3", f"{stem}: metadata.kernelspec.name must be 'python3', got {kernel!r}"
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "a chapter opens with its title"
    checks = [c for c in nb.cells if HIDDEN_TAG in c.metadata.get("tags", [])]
    assert checks, f"{stem}: assert the numbers that matter in a cell tagged {HIDDEN_TAG!r}"
    assert all(c.cell_type == "code" for c in checks)
    assert any("assert" in c.source for c in checks)


#: Characters of a code line that fit the book's code and output boxes at a 1280x800 window (a 736-px
#: text column, 14-px monospace: 87 characters; one spare). tests/test_browser_book.py measures the boxes.
PRINTED_SOURCE_WIDTH = 86


def _printed_sources(path):
    """(expression, source) of every ``inspect.getsource(<name>)`` a chapter prints, resolved through the
    notebook's own ``import``/``from cnnlib import ... as ...`` lines."""
    cells = nbformat.read(path, as_version=4).cells
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    tree = ast.parse("\n".join(line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))))
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.update({a.asname or a.name: (node.module, a.name) for a in node.names})
        elif isinstance(node, ast.Import):
            names.update({a.asname or a.name: (a.name, None) for a in node.names})
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "inspect.getsource":
            first, *rest = ast.unparse(node.args[0]).split(".")
            module, attribute = names[first]
            obj = importlib.import_module(module)
            if attribute is not None:  # a submodule (imported here if need be) or a name in the module
                obj = getattr(obj, attribute, None) or importlib.import_module(f"{module}.{attribute}")
            for part in rest:
                obj = getattr(obj, part)
            yield ast.unparse(node.args[0]), inspect.getsource(obj)


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.name)
def test_printed_library_source_fits_the_code_box(path):
    """Library code a chapter prints (``inspect.getsource``) is read in the book's output box: no line of
    it may need sideways scrolling at 1280 px, although the library's own limit is 120 columns."""
    wide = [f"{name}: {len(line)} chars: {line.strip()[:60]!r}"
            for name, source in _printed_sources(path)
            for line in source.splitlines() if len(line) > PRINTED_SOURCE_WIDTH]
    assert not wide, f"{len(wide)} printed lines are over {PRINTED_SOURCE_WIDTH} characters: " + "; ".join(wide[:6])


CJK = re.compile(r"[\u4e00-\u9fff]")
FIX_NAME = re.compile(r"^:name:\s*(fix-[\w-]+)\s*$", re.M)


def _corrections():
    """{name: (notebook stem, admonition text)} of every named correction (``:name: fix-…``) in the chapters."""
    found = {}
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for m in FIX_NAME.finditer(cell.source):
                assert m.group(1) not in found, f"{m.group(1)} is named twice"
                found[m.group(1)] = (path.stem, cell.source[m.end():].split(":::")[0].split("```")[0])
    return found


def test_every_correction_quotes_the_article_and_is_listed_on_the_article_page():
    corrections = _corrections()
    assert len(corrections) >= 14, sorted(corrections)
    for name, (stem, body) in corrections.items():
        assert CJK.search(body), f"{stem}: correction {name} does not quote the article's Chinese words"
    article = (ROOT / "book" / "article.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"<(fix-[\w-]+)>", article))
    assert linked == set(corrections), (
        f"book/article.md must link every correction: missing {sorted(set(corrections) - linked)}, "
        f"unknown {sorted(linked - set(corrections))}")


def _glossary_rows():
    rows = []
    for line in (ROOT / "book" / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2] in ("yes", "no"):
            rows.append(cells)
    return rows


def test_glossary_says_honestly_which_chinese_terms_the_article_uses():
    article = (ROOT / "book" / "article-original.txt").read_text(encoding="utf-8")
    rows = _glossary_rows()
    assert len(rows) >= 40
    for english, chinese, used, _ in rows:
        term = re.split(r" \(| / |, ", chinese)[0]
        assert (term in article) == (used == "yes"), f"{english}: is {term!r} in the article? The glossary says {used}"


def test_glossary_covers_the_books_own_vocabulary():
    chinese = " ".join(row[1] for row in _glossary_rows())
    english = " ".join(row[0] for row in _glossary_rows())
    for term in ["互相关", "空洞卷积", "全局平均池化", "归因", "激活最大化", "积分梯度", "遮挡", "平移等变性", "感受野",
                 "修正线性单元"]:
        assert term in chinese, term
    for term in ["logit", "softmax", "Grad-CAM", "adversarial example", "validation"]:
        assert term in english, term
