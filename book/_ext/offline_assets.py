"""Local Sphinx extension: keeps the built pages self-contained and free of console errors.

* adds ``mathjax-hub-shim.js`` (from ``book/_assets``) after MathJax on every page (ipywidgets 8 calls
  MathJax 2's ``MathJax.Hub.Queue``; see the script);
* removes duplicate ``<script>`` entries (Sphinx 7.4 adds sphinx-thebe's inline script twice, which
  throws "Identifier 'THEBE_JS_URL' has already been declared" on every page).
"""

from __future__ import annotations

SHIM = "mathjax-hub-shim.js"


def _script_key(js) -> tuple:
    filename = getattr(js, "filename", js) or ""  # None or "" for an inline script: its body decides
    attrs = tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items()))
    return (filename, attrs)


def _dedupe_and_order(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    unique = []
    for js in scripts:
        key = _script_key(js)
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    # the shim must run after MathJax (both deferred: document order is execution order)
    shims = [js for js in unique if str(getattr(js, "filename", "") or "").endswith(SHIM)]
    rest = [js for js in unique if js not in shims]
    scripts[:] = rest + shims


def setup(app):
    app.add_js_file(SHIM, loading_method="defer", priority=900)
    app.connect("html-page-context", _dedupe_and_order, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
