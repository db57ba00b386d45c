"""Figures in the reader's language: matplotlib's text translated as it is set (the Chinese edition).

The chapters' figures get their titles, axis labels and legends from code that both editions share, often
as f-strings (``f"{name} (logit {z:.0f})"``). :func:`install` wraps :meth:`matplotlib.text.Text.set_text` so that
every text with a word in it is looked up in a catalogue when it is set. The lookup key is the text
with each number replaced by a numbered field (:func:`template`): ``"circle (logit 12)"`` is looked up as
``"circle (logit {0})"``, and its translation ``"圆形（logit {0}）"`` gets the numbers back. Maths (``$...$``)
never needs a translation.

``tools/i18n.py build-zh`` installs it in every kernel of the Chinese build (an IPython startup file) with
the catalogue ``locale/zh_CN/figures.json`` and a file that collects every text without a translation;
``python tools/i18n.py check`` fails while that file is not empty. The CJK glyphs come from a subset of Noto
Sans CJK SC made for the figures (``locale/zh_CN/figures-cjk.otf``, see tools/cjk_font.py), so a machine
without Chinese fonts draws the same figures.
"""

from __future__ import annotations

import json
import os
import re

from .translations import ZH

__all__ = ["template", "translate", "translate_installed", "install", "CATALOGUE_ENV", "MISSES_ENV", "FONT_ENV"]

#: Environment variables read by :func:`install`: the catalogue (JSON, template -> translation), the file
#: that collects texts without a translation (one JSON string per line), the CJK font file.
CATALOGUE_ENV, MISSES_ENV, FONT_ENV = "CNNLIB_FIGURE_CATALOGUE", "CNNLIB_FIGURE_MISSES", "CNNLIB_FIGURE_FONT"

_NUMBER = re.compile(r"(?<![A-Za-z_])[-−]?\d+(?:[.,]\d+)*(?:e[-+]?\d+)?")
_MATH = re.compile(r"\$[^$]*\$|<[^>]*>|&#?\w+;")  # maths, HTML tags and entities: no words to translate
_WORD = re.compile(r"[A-Za-z]{2,}")


def template(text: str) -> tuple[str, list[str]]:
    """``"conv 2: 10×26×26"`` -> ``("conv {0}: {1}×{2}×{3}", ["2", "10", "26", "26"])``; braces are doubled."""
    numbers: list[str] = []

    def field(m):
        numbers.append(m.group(0))
        return f"\0{len(numbers) - 1}\1"

    key = _NUMBER.sub(field, text).replace("{", "{{").replace("}", "}}")
    return key.replace("\0", "{").replace("\1", "}"), numbers


def needs_translation(text: str) -> bool:
    """A word outside maths and HTML tags: ``"$\\eta$"``, ``"<b>0.5</b>"`` need none, ``"loss"`` does."""
    return bool(_WORD.search(_MATH.sub(" ", text)))


def translate(text: str, catalogue: dict[str, str], misses: set[str] | None = None) -> str:
    """``text`` in the catalogue's language (``text`` itself when it has no entry; then added to ``misses``).

    A text of several lines is looked up whole (a sentence wrapped by hand is translated as one), else line
    by line (a title over a subtitle); a miss is recorded whole."""
    if not needs_translation(text):
        return text
    found = _lookup(text, catalogue)
    if found is not None:
        return found
    if "\n" in text:
        lines = [line if not needs_translation(line) else _lookup(line, catalogue) for line in text.split("\n")]
        if all(line is not None for line in lines):
            return "\n".join(lines)
    if misses is not None:
        misses.add(template(text)[0])
    return text


def _lookup(text: str, catalogue: dict[str, str]) -> str | None:
    key, numbers = template(text)
    found = catalogue.get(key)
    return None if found is None else found.format(*numbers)


_STATE: dict = {}


def translate_installed(text: str) -> str:
    """``text`` (plain or an HTML fragment, such as an explorer's caption) translated by the catalogue of
    :func:`install`, a miss recorded; unchanged where :func:`install` has not run (the English edition)."""
    if "catalogue" not in _STATE:
        return text
    misses: set[str] = set()
    out = translate(text, _STATE["catalogue"], misses)
    _record(misses)
    return out


def install(catalogue: dict[str, str] | None = None, font: str | None = None, misses_file: str | None = None):
    """Translate every matplotlib text as it is set, from now on in this process.

    Args:
        catalogue: template -> translation; default: the JSON file named by ``$CNNLIB_FIGURE_CATALOGUE``.
            The explorers' catalogue (:data:`cnnlib.translations.ZH`) is consulted too.
        font: a font file with the catalogue's CJK glyphs, added as matplotlib's fallback font; default:
            ``$CNNLIB_FIGURE_FONT``.
        misses_file: where texts without a translation are appended (one JSON string per line); default:
            ``$CNNLIB_FIGURE_MISSES`` (unset: not recorded).
    """
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.text import Text

    if catalogue is None:
        path = os.environ.get(CATALOGUE_ENV)
        catalogue = json.loads(open(path, encoding="utf-8").read()) if path else {}
    catalogue = {**ZH, **catalogue}  # the explorers' labels (cnnlib.translations) appear in their pictures too
    font = font or os.environ.get(FONT_ENV)
    misses_file = misses_file or os.environ.get(MISSES_ENV)
    if font:
        # matplotlib (>= 3.6) falls back along font.family for a glyph its first font lacks: the usual font
        # for Latin text and numbers, then the CJK subset
        font_manager.fontManager.addfont(font)
        name = font_manager.FontProperties(fname=font).get_name()
        usual = font_manager.FontProperties(fname=font_manager.findfont(font_manager.FontProperties())).get_name()
        matplotlib.rcParams["font.family"] = [usual, name]
    _STATE.update(catalogue=catalogue, misses_file=misses_file, seen=set())
    if "set_text" in _STATE:
        return
    _STATE["set_text"] = Text.set_text

    # Translated when set, not when drawn: layouts (constrained, tight, bbox_inches) then measure the Chinese.
    def set_text(self, s):
        text = "" if s is None else str(s)
        return _STATE["set_text"](self, translate_installed(text) if text else text)

    Text.set_text = set_text


def _record(misses: set[str]) -> None:
    new = misses - _STATE["seen"]
    if not new or not _STATE.get("misses_file"):
        return
    _STATE["seen"] |= new
    with open(_STATE["misses_file"], "a", encoding="utf-8") as f:
        for key in sorted(new):
            f.write(json.dumps(key, ensure_ascii=False) + "\n")
