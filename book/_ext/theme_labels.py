"""The themes' own labels in the Chinese edition: the translations they lack, or give in another variant.

Sphinx reads its own message domain (``sphinx``) from ``locale_dirs`` first, so ``locale/zh_CN/LC_MESSAGES/
sphinx.po`` adds labels that neither Sphinx nor pydata-sphinx-theme translate (the heading links' "Link to
this heading", the colour-mode button); book/_templates makes sphinx-book-theme's two sidebar toggles'
titles translatable. sphinx-book-theme keeps a catalogue of its own (``booktheme``), whose zh_CN says
列印成 PDF, Taiwan's wording: ``booktheme.po`` here is put in front of it when the builder starts.
The English edition is untouched (no catalogue for English).
"""

from __future__ import annotations

import gettext
from pathlib import Path

from sphinx import locale

THEME_CATALOGUE = "booktheme"


def _compiled(po: Path, out_dir: Path, language: str) -> Path:
    """``po`` compiled to ``out_dir/<language>/LC_MESSAGES/<name>.mo``; returns ``out_dir``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    mo = out_dir / language / "LC_MESSAGES" / po.with_suffix(".mo").name
    mo.parent.mkdir(parents=True, exist_ok=True)
    with po.open("rb") as f:
        catalogue = read_po(f, locale=language)
    with mo.open("wb") as f:
        write_mo(f, catalogue)
    return out_dir


def _put_in_front(app) -> None:
    language = app.config.language or "en"
    if language.startswith("en"):
        return
    for folder in app.config.locale_dirs:
        po = Path(app.srcdir, folder, language, "LC_MESSAGES", f"{THEME_CATALOGUE}.po")
        if po.exists():
            break
    else:
        return
    localedir = _compiled(po, Path(app.doctreedir) / "theme-labels", language)
    ours = gettext.translation(THEME_CATALOGUE, str(localedir), languages=[language])
    key = ("general", THEME_CATALOGUE)
    if key in locale.translators:
        ours.add_fallback(locale.translators[key])
    locale.translators[key] = ours


def setup(app):
    app.connect("builder-inited", _put_in_front)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
