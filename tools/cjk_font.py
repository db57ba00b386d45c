"""The book's own Chinese web font: Noto Sans CJK SC, subset to the CJK characters the book uses.

A reader whose machine has no CJK font would otherwise see boxes (tofu) for every Chinese word. The font
comes in two slices, each declared for exactly its own code points (``unicode-range`` in the generated
``book/_assets/cjk-fonts.css``), so a browser downloads a slice only for a page that shows one of them:

* ``book/_assets/fonts/book-cjk.woff2``: the characters of the English edition (its quotations of the
  article, the glossary's Chinese column, explorer captions): about 100 KB;
* ``book/_assets/fonts/book-cjk-zh.woff2``: the rest of the Chinese edition's characters (its catalogues,
  ``locale/``, and the Sphinx and theme labels listed in ``locale/zh_CN/ui-characters.txt``).

An English page never loads the second slice; a Chinese page loads both.

    python tools/cjk_font.py            # rewrite both slices and the CSS from the book's sources
    python tools/cjk_font.py --check    # exit 1 if a committed slice or the CSS is stale

The characters come from every prose page (``book/**/*.md``, ``*.bib``), every chapter notebook, every
string in ``cnnlib`` (explorer captions are rendered from it) and in the local extensions, and the Chinese
edition's catalogues (``locale/**/*.po``, see tools/i18n.py). Subsetting needs Debian's ``fonts-noto-cjk``
(or ``CJK_FONT=/path/to/NotoSansCJK-Regular.ttc``), fontTools and brotli; ``--check`` needs only fontTools.
The output is reproducible: the same sources and the same fontTools/brotli give the same bytes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "book" / "_assets" / "fonts" / "book-cjk.woff2"
OUT_ZH = ROOT / "book" / "_assets" / "fonts" / "book-cjk-zh.woff2"
CSS = ROOT / "book" / "_assets" / "cjk-fonts.css"
#: Characters the Chinese edition's pages show that no source of this repository holds (Sphinx's and the
#: theme's own zh_CN labels); tests/test_i18n.py finds any that a built Chinese page lacks.
UI_CHARACTERS = ROOT / "locale" / "zh_CN" / "ui-characters.txt"
#: The Chinese edition's figures (cnnlib.figure_language): matplotlib draws their CJK text with this subset
#: (OpenType, not served to browsers) of the characters of the figure catalogue and the explorers' catalogue.
FIGURE_FONT = ROOT / "locale" / "zh_CN" / "figures-cjk.otf"
FIGURE_SOURCES = [ROOT / "locale" / "zh_CN" / "figures.json", ROOT / "cnnlib" / "translations.py"]
FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
]
FAMILY_INDEX_SC = 2  # in NotoSansCJK-Regular.ttc: 0 JP, 1 KR, 2 SC, 3 TC, 4 HK
#: The code points served by the web font; the same ranges are the ``unicode-range`` of book/_assets/cjk.css.
CJK_RANGES = [
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、。《》「」
    (0x3400, 0x4DBF),  # CJK unified ideographs extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # full-width forms: ，：（）
]
_CJK = re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in CJK_RANGES) + "]")


def is_cjk(ch: str) -> bool:
    return bool(_CJK.fullmatch(ch))


def source_files(root: Path = ROOT, edition: str = "en") -> list[Path]:
    """The files whose text can reach a page of the English edition (``"en"``) or only the Chinese one
    (its figures' catalogue too: explorer captions are translated by it)."""
    if edition == "zh":  # the Chinese edition's catalogues, its settings (title, footer) and UI labels
        return sorted(p for p in (root / "locale").rglob("*") if p.suffix in {".po", ".yml", ".txt", ".json"})
    book = [p for p in (root / "book").rglob("*") if p.suffix in {".md", ".bib", ".txt"} and "_vendor" not in p.parts]
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    library = sorted((root / "cnnlib").rglob("*.py"))
    extensions = sorted((root / "book" / "_ext").glob("*.py"))  # e.g. lite_button's Chinese label
    return sorted(book) + notebooks + library + extensions + [root / "_config.yml", root / "_toc.yml"]


def book_characters(root: Path = ROOT, edition: str = "en") -> str:
    """Every CJK character of the edition's sources, sorted, each once; for ``"zh"`` only those the English
    edition does not already have (the second slice)."""
    chars = set(_characters(source_files(root, edition)))
    if edition == "zh":
        chars -= set(book_characters(root, "en"))
    return "".join(sorted(chars))


def _characters(paths) -> str:
    """Every CJK character of the files that exist among ``paths``, sorted, each once."""
    chars: set[str] = set()
    for path in paths:
        if path.exists():
            chars.update(_CJK.findall(path.read_text(encoding="utf-8")))
    return "".join(sorted(chars))


def unicode_range(chars: str) -> str:
    """``"一丁七"`` -> ``"U+4E00-4E01, U+4E03"``: the CSS ``unicode-range`` of exactly these characters."""
    points = sorted({ord(c) for c in chars})
    runs: list[list[int]] = []
    for p in points:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def font_css(slices: list[tuple[Path, str]]) -> str:
    """The @font-face rules of the slices, each for exactly its characters."""
    head = ("/* Generated by tools/cjk_font.py: do not edit. The book's Chinese font (Noto Sans CJK SC, SIL Open\n"
            "   Font License 1.1) in slices; each is declared for exactly its characters, so a page downloads only\n"
            "   the slices it shows. */\n")
    rules = [f"""@font-face {{
  font-family: "Book CJK";
  src: url("fonts/{path.name}") format("woff2");
  font-weight: 400;  /* the one weight there is: the browser synthesises bold from it */
  font-style: normal;
  font-display: swap;
  unicode-range: {unicode_range(chars)};
}}
""" for path, chars in slices if chars]
    return head + "\n".join(rules)


def slices(root: Path = ROOT) -> list[tuple[Path, str]]:
    return [(OUT, book_characters(root, "en")), (OUT_ZH, book_characters(root, "zh"))]


def figure_characters() -> str:
    """The CJK characters the Chinese edition's figures can draw (figure_language's and the explorers' text)."""
    return _characters(FIGURE_SOURCES)


def fonts(root: Path = ROOT) -> list[tuple[Path, str]]:
    """Every font file this tool makes, with its characters: the web slices, then the figures' subset."""
    return [*slices(root), (FIGURE_FONT, figure_characters())]


def font_characters(path: Path = OUT) -> str:
    """The CJK characters the subset font has glyphs for."""
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(path)).getBestCmap()
    return "".join(sorted(chr(c) for c in cmap if is_cjk(chr(c))))


def find_source_font() -> Path | None:
    for candidate in [os.environ.get("CJK_FONT", "")] + FONT_CANDIDATES:
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def subset(chars: str, source: Path, out: Path = OUT) -> Path:
    """Write ``source`` (a Noto Sans CJK .ttc/.otf) subset to ``chars`` to ``out``: WOFF2, or OpenType for a
    ``.otf`` name (matplotlib cannot read WOFF2)."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    number = FAMILY_INDEX_SC if source.suffix.lower() == ".ttc" else -1
    font = TTFont(str(source), fontNumber=number, recalcTimestamp=False, lazy=False)
    web = out.suffix == ".woff2"
    options = ft_subset.Options()
    options.flavor = "woff2" if web else None
    options.hinting = False  # browsers rasterise CJK without hints; saves ~15 %
    options.desubroutinize = True  # smaller after brotli
    options.layout_features = ["*"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # keep the copyright and licence notice (name 0, 13/14 below)
    options.name_IDs += [13, 14]
    options.notdef_outline = True
    sub = ft_subset.Subsetter(options)
    sub.populate(unicodes=[ord(c) for c in chars])
    sub.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2" if web else None
    font.save(str(out), reorderTables=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the committed subset's characters")
    parser.add_argument("--if-font", action="store_true",
                        help="regenerate when the Noto CJK font is installed, else only check (the book build)")
    args = parser.parse_args(argv)
    source = find_source_font()
    wanted = fonts()
    web = [(path, chars) for path, chars in wanted if path.suffix == ".woff2"]  # the slices the CSS declares
    if args.check or (args.if_font and source is None):
        stale = []
        for path, chars in wanted:
            have = font_characters(path) if path.exists() else ""
            missing = "".join(c for c in chars if c not in have)
            extra = "".join(c for c in have if c not in chars)
            if missing or extra:
                stale.append(f"{path.relative_to(ROOT)}: missing {missing!r}, unused {extra!r}")
        if not CSS.exists() or CSS.read_text(encoding="utf-8") != font_css(web):
            stale.append(f"{CSS.relative_to(ROOT)} does not match the slices")
        if stale:
            print("stale CJK font: " + "; ".join(stale) + ". Run `make cjk-font` (needs fonts-noto-cjk) and commit.",
                  file=sys.stderr)
            return 1 if args.check else 0  # the build still works; the test says what to do
        print("CJK font: " + ", ".join(f"{p.name} {len(c)} characters" for p, c in wanted) + ", up to date")
        return 0
    if source is None:
        print("Noto Sans CJK not found: apt-get install fonts-noto-cjk, or set CJK_FONT", file=sys.stderr)
        return 1
    for path, chars in wanted:
        subset(chars, source, path)
        print(f"{path.relative_to(ROOT)}: {len(chars)} characters, {path.stat().st_size / 1024:.1f} KB from {source}")
    CSS.write_text(font_css(web), encoding="utf-8")
    return 0

if __name__ == "__main__":
    sys.exit(main())
