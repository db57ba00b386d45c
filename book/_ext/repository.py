"""Local Sphinx extension: the book's one repository URL, and nothing that points at a repository without it.

The URL is set in one place: the environment variable ``BOOK_REPOSITORY_URL`` when the book is built
(``BOOK_REPOSITORY_URL=https://github.com/owner/name make book``), or ``book_repository_url`` under
``sphinx: config:`` in ``_config.yml``; the environment wins. Given one, every page gets the theme's
repository button and every notebook page the Binder and Colab launch buttons, all for that URL. Given none
(the default), no page shows a repository, Binder or Colab button, and no URL that does not exist.

Prose pages can hold text that only makes sense with a repository between two HTML comments::

    <!-- if-repository -->
    `git clone REPOSITORY_URL`
    <!-- end-if-repository -->

With a URL the comments stay (MyST ignores them) and ``REPOSITORY_URL`` becomes the URL; without one the
block is dropped before parsing. Text between ``<!-- if-no-repository -->`` and
``<!-- end-if-no-repository -->`` is kept only when there is no URL.
"""

from __future__ import annotations

import os
import re

ENV = "BOOK_REPOSITORY_URL"
TOKEN = "REPOSITORY_URL"
BINDER = "https://mybinder.org"
COLAB = "https://colab.research.google.com"
_BLOCK = re.compile(r"<!--\s*if-(no-)?repository\s*-->(.*?)<!--\s*end-if-(?:no-)?repository\s*-->", re.S)


def repository_url(config) -> str:
    """The configured repository URL (environment first, then ``book_repository_url``), '' if none."""
    url = os.environ.get(ENV, "").strip() or (getattr(config, "book_repository_url", "") or "").strip()
    if url and not re.match(r"^https://[^\s/]+/\S+$", url):
        raise ValueError(f"{ENV} / book_repository_url must be an https:// URL of a repository, got {url!r}")
    return url.rstrip("/")


def _configure(app, config):
    url = repository_url(config)
    options = dict(config.html_theme_options or {})
    if url:
        options.update(repository_url=url, use_repository_button=True)
        launch = dict(options.get("launch_buttons") or {})
        launch.setdefault("binderhub_url", BINDER)
        launch.setdefault("colab_url", COLAB)
        options["launch_buttons"] = launch
    else:
        options.update(repository_url="", use_repository_button=False, use_issues_button=False,
                       use_edit_page_button=False, use_source_button=False)
        launch = dict(options.get("launch_buttons") or {})
        for key in ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url"):
            launch.pop(key, None)
        options["launch_buttons"] = launch
    config.html_theme_options = options
    context = dict(config.html_context or {})
    context["book_repository_url"] = url
    config.html_context = context
    if url:
        app.tags.add("repository")


def expand(text: str, url: str) -> str:
    """``text`` with its repository blocks kept (token replaced by ``url``) or dropped (``url`` empty)."""

    def block(m):
        negated, body = bool(m.group(1)), m.group(2)
        keep = (not url) if negated else bool(url)
        return body.replace(TOKEN, url) if keep else ""

    return _BLOCK.sub(block, text)


def _source_read(app, docname, source):
    if "if-repository" in source[0] or "if-no-repository" in source[0]:
        source[0] = expand(source[0], repository_url(app.config))


def setup(app):
    app.add_config_value("book_repository_url", "", "env")
    app.connect("config-inited", _configure, priority=900)
    app.connect("source-read", _source_read)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
