"""Local Sphinx extension: Chinese text on every page is marked ``lang="zh-Hans"``.

Each run of CJK characters in a page's body becomes ``<span lang="zh-Hans">…</span>``, so browsers, screen
readers and search engines treat it as Simplified Chinese (the right glyph variants, the right voice). The
glyphs come from the book's own web font (``book/_assets/cjk.css``, made by ``tools/cjk_font.py``), so a
reader without any CJK font still sees them. Text inside tags' attributes, ``<script>``, ``<style>`` and
``<textarea>`` is left alone, and so are runs already inside an element with a ``lang`` attribute.
"""

from __future__ import annotations

import re

LANG = "zh-Hans"
# the code points of tools/cjk_font.py's CJK_RANGES (the web font's unicode-range)
_RUN = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]+")
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_RAW = {"script", "style", "textarea"}


def mark_chinese(html: str) -> str:
    """``html`` with every CJK run of its text wrapped in ``<span lang="zh-Hans">``."""
    out = []
    raw = None  # inside <script>/<style>/<textarea>: the tag name
    lang_depth = 0  # open elements (of the innermost lang="..." one) still open
    stack: list[tuple[str, bool]] = []
    for part in _TAG.split(html):
        if not part:
            continue
        if part.startswith("<"):
            out.append(part)
            m = re.match(r"<\s*(/)?\s*([a-zA-Z][\w-]*)", part)
            if not m or part.startswith("<!"):
                continue
            closing, name = bool(m.group(1)), m.group(2).lower()
            if raw:
                if closing and name == raw:
                    raw = None
                continue
            if closing:
                while stack:
                    top, had_lang = stack.pop()
                    lang_depth -= had_lang
                    if top == name:
                        break
            elif name in _RAW:
                raw = name
            elif not part.endswith("/>") and name not in {"br", "img", "hr", "input", "meta", "link", "wbr", "col",
                                                          "source", "area", "base", "embed", "param", "track"}:
                had_lang = bool(re.search(r"\slang\s*=", part))
                stack.append((name, had_lang))
                lang_depth += had_lang
            continue
        if raw or lang_depth:
            out.append(part)
        else:
            out.append(_RUN.sub(lambda m: f'<span lang="{LANG}">{m.group(0)}</span>', part))
    return "".join(out)


def _page_context(app, pagename, templatename, context, doctree):
    if (app.config.language or "").startswith("zh"):
        return  # a Chinese edition's page is lang="zh-CN" as a whole
    if context.get("body"):
        context["body"] = mark_chinese(context["body"])


def setup(app):
    app.connect("html-page-context", _page_context, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
