"""Local Sphinx extension: the book's editions and a link on every page to the same page in the other one.

The editions are set under ``sphinx: config:`` in ``_config.yml``::

    book_languages:
      en: {path: "", label: English}
      zh_CN: {path: zh, label: 中文}

``path`` is the edition's folder inside the site (``_build/html``; the English pages at its root, the Chinese
ones in ``_build/html/zh``, built by ``tools/i18n.py build-zh``), ``label`` the link's text. The edition being
built is the one of Sphinx's ``language``. Every page (chapters, search, index) gets, in its article header
after the theme's buttons (``langswitch_templates/lang-switch.html``), a link to its twin in each other
edition (a relative URL, so the site also works from a local copy), and a ``<link rel="alternate" hreflang>``
in its head. Other extensions find the site's root with :func:`site_root_prefix`.

It also translates the part captions of ``_toc.yml`` (:class:`TranslateToctrees`).
"""

from __future__ import annotations

import html
import os
import posixpath
from pathlib import Path

from sphinx import addnodes
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain

CSS = "langswitch.css"
TEMPLATES = Path(__file__).parent / "langswitch_templates"
TEMPLATE = "lang-switch.html"


def _languages(config) -> dict[str, dict]:
    return {code: dict(spec or {}) for code, spec in (config.book_languages or {}).items()}


def current_language(config) -> str:
    """The ``book_languages`` key of the edition being built (``en`` when Sphinx's language is not one)."""
    languages = _languages(config)
    lang = config.language or "en"
    for code in languages:
        if code == lang or code.split("_")[0] == lang:
            return code
    return "en"


def edition_path(config, code: str | None = None) -> str:
    """The folder of an edition inside the site ('' for the one at its root)."""
    code = code or current_language(config)
    return str(_languages(config).get(code, {}).get("path", "") or "").strip("/")


def site_root_prefix(config) -> str:
    """What to put before a URL relative to this edition's root to reach the site's root (``../`` for zh)."""
    path = edition_path(config)
    return "../" * len(path.split("/")) if path else ""


def twin_href(config, page_uri: str, code: str) -> str:
    """The relative URL from this edition's page ``page_uri`` (e.g. ``book/preface.html``) to the same page
    in the edition ``code``."""
    here = posixpath.join(edition_path(config), page_uri)
    there = posixpath.join(edition_path(config, code), page_uri)
    return posixpath.relpath(there, posixpath.dirname(here) or ".")


def hreflang(code: str) -> str:
    return {"zh_CN": "zh-Hans", "zh": "zh-Hans"}.get(code, code.replace("_", "-"))


def _add_switch(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or not app.config.book_languages:
        return
    uri = app.builder.get_target_uri(pagename)
    me = current_language(app.config)
    links = [
        {"href": twin_href(app.config, uri, code), "hreflang": hreflang(code), "label": str(spec.get("label", code))}
        for code, spec in _languages(app.config).items()
        if code != me
    ]
    context["book_lang_links"] = links  # book/_ext/langswitch_templates/lang-switch.html shows them
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<link rel="alternate" hreflang="{link["hreflang"]}" href="{html.escape(link["href"])}" />'
        for link in links
    )


def _configure(app, config):
    """The switch goes into the article header (every page: chapters, search, index), after the buttons."""
    if str(TEMPLATES) not in config.templates_path:
        config.templates_path.append(str(TEMPLATES))
    options = dict(config.html_theme_options or {})
    end = list(options.get("article_header_end") or ["article-header-buttons.html"])
    if TEMPLATE not in end:
        end.append(TEMPLATE)
    options["article_header_end"] = end
    config.html_theme_options = options


class TranslateToctrees(SphinxTransform):
    """The captions of the book's parts ("Chapters") in the page's catalogue's language.

    sphinx-external-toc inserts _toc.yml's toctrees into the root page (its transform has priority 100) after
    Sphinx has translated the page (``Locale``, priority 20), so their captions, which the gettext builder does
    extract, would stay English. They are translated here from the same catalogue."""

    default_priority = 101

    def apply(self, **kwargs):
        if (self.config.language or "en") == "en" or not self.config.locale_dirs:
            return
        toctrees = list(self.document.findall(addnodes.toctree))
        if not toctrees:
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [os.path.join(self.env.srcdir, d) for d in self.config.locale_dirs]
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for node in toctrees:
            for message in node.extract_original_messages():
                translated = catalog.gettext(message)
                if translated and translated != message:
                    node.apply_translated_message(message, translated)


def setup(app):
    app.add_config_value("book_languages", {}, "html")
    app.add_transform(TranslateToctrees)
    app.connect("config-inited", _configure, priority=950)
    app.add_css_file(CSS)
    # before pydata-sphinx-theme drops the header items that render empty (its handler has priority 500)
    app.connect("html-page-context", _add_switch, priority=450)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
