"""The book's own Chinese web font: Noto Sans CJK SC, subset to the CJK characters the book uses.

A reader whose machine has no CJK font would otherwise see boxes (tofu) for every Chinese word. The site
serves ``book/_assets/fonts/book-cjk.woff2`` and ``book/_assets/cjk.css`` declares it for CJK code points
only (``unicode-range``), so Latin text keeps the theme's fonts and pages without Chinese never load it.

    python tools/cjk_font.py            # rewrite the subset from the book's sources
    python tools/cjk_font.py --check    # exit 1 if the committed subset lacks (or has extra) characters

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


def source_files(root: Path = ROOT) -> list[Path]:
    """The files whose text can reach a page of the book."""
    book = [p for p in (root / "book").rglob("*") if p.suffix in {".md", ".bib", ".txt"} and "_vendor" not in p.parts]
    notebooks = sorted((root / "notebooks").glob("*.ipynb"))
    library = sorted((root / "cnnlib").rglob("*.py"))
    extensions = sorted((root / "book" / "_ext").glob("*.py"))  # e.g. lite_button's Chinese label
    # the Chinese edition (tools/i18n.py): its catalogues and its settings (title, footer)
    translations = sorted(p for p in (root / "locale").rglob("*") if p.suffix in {".po", ".yml"})
    return sorted(book) + notebooks + library + extensions + translations + [root / "_config.yml", root / "_toc.yml"]


def book_characters(root: Path = ROOT) -> str:
    """Every CJK character of the book's sources, sorted, each once."""
    chars: set[str] = set()
    for path in source_files(root):
        if path.exists():
            chars.update(_CJK.findall(path.read_text(encoding="utf-8")))
    return "".join(sorted(chars))


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
    """Write ``source`` (a Noto Sans CJK .ttc/.otf) subset to ``chars`` as WOFF2 to ``out``."""
    from fontTools import subset as ft_subset
    from fontTools.ttLib import TTFont

    number = FAMILY_INDEX_SC if source.suffix.lower() == ".ttc" else -1
    font = TTFont(str(source), fontNumber=number, recalcTimestamp=False, lazy=False)
    options = ft_subset.Options()
    options.flavor = "woff2"
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
    font.flavor = "woff2"
    font.save(str(out), reorderTables=True)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the committed subset's characters")
    parser.add_argument("--if-font", action="store_true",
                        help="regenerate when the Noto CJK font is installed, else only check (the book build)")
    args = parser.parse_args(argv)
    wanted = book_characters()
    source = find_source_font()
    if args.check or (args.if_font and source is None):
        have = font_characters() if OUT.exists() else ""
        missing = "".join(c for c in wanted if c not in have)
        extra = "".join(c for c in have if c not in wanted)
        if missing or extra:
            print(f"{OUT.relative_to(ROOT)} is stale: missing {missing!r}, unused {extra!r}. "
                  "Run `make cjk-font` (needs fonts-noto-cjk) and commit it.", file=sys.stderr)
            return 1 if args.check else 0  # the build still works; the test says what to do
        print(f"{OUT.relative_to(ROOT)}: {len(have)} characters, up to date")
        return 0
    if source is None:
        print("Noto Sans CJK not found: apt-get install fonts-noto-cjk, or set CJK_FONT", file=sys.stderr)
        return 1
    subset(wanted, source)
    print(f"{OUT.relative_to(ROOT)}: {len(wanted)} characters, {OUT.stat().st_size / 1024:.1f} KB from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
