"""Local Sphinx extension: a "Run live in your browser" button on every chapter page.

The button opens the page's notebook in the book's own JupyterLite site (``lite/``, built by
``tools/lite.py`` after the book: ``make book``). Nothing starts on page load: the Pyodide kernel starts
when the reader clicks, in a new tab. Pages whose source is a notebook under ``notebooks/`` get it,
right under their title.
"""

from __future__ import annotations

import html
from pathlib import Path, PurePosixPath

from langswitch import site_root_prefix

STATIC = Path(__file__).parent / "lite_static"
CSS = "lite-button.css"
LABEL = "Run live in your browser"
HINT = (
    "Opens this chapter as a notebook that runs in your browser (Pyodide, no server): "
    "the first start downloads the Python runtime once, then your browser keeps it."
)
#: The button's label and hint in the other editions (Sphinx's ``language``, its part before ``_``).
TRANSLATIONS = {
    "zh": (
        "在浏览器中实时运行",
        "在浏览器中以笔记本形式打开本章（中文讲解，代码与本页相同；Pyodide，无需服务器）："
        "首次启动时下载一次 Python 运行环境，之后由浏览器保存。",
    ),
}
#: The folder of the lite site that holds an edition's notebooks (tools/lite.py writes them translated).
NOTEBOOK_FOLDERS = {"zh": "zh/"}


def lite_notebook(app, pagename: str) -> str | None:
    """The notebook's path inside the lite site (``02_core_concepts.ipynb``), or None for a prose page."""
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".ipynb" or PurePosixPath(pagename).parts[0] != "notebooks":
        return None
    return source.name


def button_html(href: str, language: str | None = None) -> str:
    label, hint = TRANSLATIONS.get((language or "en").split("_")[0], (LABEL, HINT))
    return (
        f'<div class="lite-launch"><a class="lite-launch-button" href="{html.escape(href)}" target="_blank" '
        f'rel="noopener" title="{html.escape(hint)}">'
        f'<span class="lite-launch-icon" aria-hidden="true">&#9654;</span> {html.escape(label)}</a>'
        f'<span class="lite-launch-hint">{html.escape(hint)}</span></div>'
    )


def _add_button(app, pagename, templatename, context, doctree):
    notebook = lite_notebook(app, pagename)
    body = context.get("body")
    if notebook is None or not body:
        return
    # the lite site is at the site's root: a translated edition (e.g. _build/html/zh) goes up to it
    prefix = site_root_prefix(app.config) if hasattr(app.config, "book_languages") else ""
    folder = NOTEBOOK_FOLDERS.get((app.config.language or "en").split("_")[0], "")
    href = prefix + context["pathto"]("lite/notebooks/index.html", 1) + f"?path={folder}{notebook}"
    end = body.find("</h1>")
    at = end + len("</h1>") if end >= 0 else 0
    context["body"] = body[:at] + button_html(href, app.config.language) + body[at:]


def _static(app):
    if str(STATIC) not in app.config.html_static_path:
        app.config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("builder-inited", _static)
    app.add_css_file(CSS)
    app.connect("html-page-context", _add_button)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
