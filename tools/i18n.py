"""The book's Chinese edition, by Sphinx's gettext flow: English sources, one catalogue per page, zh site.

    python tools/i18n.py extract                # English → _build/gettext/**/*.pot → locale/zh_CN/LC_MESSAGES/**/*.po
    python tools/i18n.py build-zh               # _build/html/zh (language zh_CN), notebooks executed with cache
    python tools/i18n.py build-zh --execute off # the same without running anything (outputs left out)
    python tools/i18n.py twin-env               # the English build kernels' environment (Chinese twins)
    python tools/i18n.py check                  # exit 1 on an untranslated or fuzzy message, or a glossary term
    python tools/i18n.py check book/preface     #   ... of these pages only
    python tools/i18n.py stats                  # messages and English characters per page

The chapters stay ``.ipynb``: Sphinx's i18n transform re-parses each translated message with the page's parser,
and MyST-NB >= 1.2 parses a translated message of a notebook as MyST Markdown (MyST-NB PR #600 fixed #587,
"Notebook does not appear to be JSON"). So there is no second copy of any notebook: the Chinese pages are the
English notebooks, code cells and all, with their prose replaced message by message at build time.

A catalogue is never edited by the build: ``extract`` rewrites them (sphinx-intl: a changed English paragraph
becomes a fuzzy entry holding the old translation, a new one an empty one); ``check`` compares the catalogues
with the sources in memory, so it fails on a stale catalogue even when ``extract`` was not run.

Execution: every chapter runs once. ``make book``'s English kernels start with :mod:`cnnlib.twin_outputs`
installed (``twin-env`` writes their IPython startup file and prints their environment): each picture and
each static explorer is made a second time in Chinese, into ``_build/zh-twins``. ``build-zh`` copies the
English execution cache into ``_build/.jupyter_cache-zh`` with every output replaced by its twin and every
table of results translated by the figures' catalogue (:func:`chinese_cache`; same code cells, so the same
cache keys: jupyter-cache hashes the code cells, their metadata and the kernelspec) and builds from it.
A notebook missing from the English cache is executed by the Chinese build itself, with the same
translation installed in its kernels (:func:`figures_in_chinese`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANG = "zh_CN"
LOCALE = ROOT / "locale"
CATALOGUES = LOCALE / LANG / "LC_MESSAGES"
POT_DIR = ROOT / "_build" / "gettext"
ZH_OUT = ROOT / "_build" / "html" / "zh"
ZH_CACHE = ROOT / "_build" / ".jupyter_cache-zh"
EN_CACHE = ROOT / "_build" / ".jupyter_cache"
#: The Chinese twins of the English build's outputs (cnnlib.twin_outputs), and its kernels' IPython folder.
TWINS = ROOT / "_build" / "zh-twins"
TWIN_IPYTHONDIR = ROOT / "_build" / "ipython-twins"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
GLOSSARY = ROOT / "book" / "glossary.md"
#: Sphinx settings of the zh edition that are not messages of a page (its title, the footer).
ZH_CONFIG = LOCALE / LANG / "config.yml"
#: The value of ``CNNLIB_LANG`` (``cnnlib.widgets.CATALOGUES``) while the zh build executes the chapters.
EXPLORER_LANG = "zh"
#: The figures' text (cnnlib.figure_language): its catalogue, the CJK font matplotlib draws it with, and the
#: texts the last Chinese build drew without a translation (one JSON string per line; `check` fails on any).
FIGURES = LOCALE / LANG / "figures.json"
FIGURE_FONT = LOCALE / LANG / "figures-cjk.otf"
FIGURE_MISSES = ROOT / "_build" / "zh-figure-text-missing.txt"
#: IPython's folder for the Chinese build's kernels: its startup file installs cnnlib.figure_language.
ZH_IPYTHONDIR = ROOT / "_build" / "ipython-zh"
#: Messages that only come from these sources may stay English (the API page's docstrings of cnnlib).
ENGLISH_ONLY_SOURCES = ("cnnlib",)

GETTEXT = {"gettext_compact": False, "gettext_uuid": False, "gettext_location": True, "gettext_auto_build": True}
# Without execution a notebook with no language_info (06) has no lexer: harmless there, no output to colour.
NO_EXECUTION = {"nb_execution_mode": "off", "suppress_warnings": ["mystnb.unknown_mime_type", "myst-nb.lexer"]}


# --------------------------------------------------------------------------- building


def sphinx(builder: str, outdir: Path, doctrees: Path, overrides: dict, strict: bool, quiet: bool = True) -> int:
    """Build the book with ``builder`` the way ``jupyter-book build`` does (same _config.yml, _toc.yml)."""
    from jupyter_book.sphinx import build_sphinx

    confoverrides = {"external_toc_path": str(ROOT / "_toc.yml"), "latex_individualpages": False, **overrides}
    os.chdir(ROOT)
    return build_sphinx(ROOT, outdir, doctreedir=doctrees, path_config=str(ROOT / "_config.yml"), noconfig=True,
                        confoverrides=confoverrides, builder=builder, freshenv=True, warningiserror=strict,
                        keep_going=strict, quiet=quiet)


def make_pot(strict: bool = False) -> None:
    """English sources → ``_build/gettext/<docname>.pot`` (no notebook runs: markdown cells only)."""
    shutil.rmtree(POT_DIR, ignore_errors=True)
    rc = sphinx("gettext", POT_DIR, ROOT / "_build" / ".doctrees-gettext", {**NO_EXECUTION, **GETTEXT}, strict)
    if rc:
        raise SystemExit(f"gettext build failed ({rc!r})")


def extract(args) -> int:
    from sphinx_intl import basic

    t = time.perf_counter()
    make_pot(args.strict)
    t_pot = time.perf_counter() - t
    # sphinx.po is written by hand: the themes' labels (book/_ext/theme_labels.py), of which the builder's
    # sphinx.pot sees only book/_templates' two; an update would retire the rest. `check` still compares them.
    theme_po = CATALOGUES / "sphinx.po"
    kept = theme_po.read_bytes() if theme_po.exists() else None
    basic.update(str(LOCALE), str(POT_DIR), (LANG,), line_width=args.line_width, jobs=1)
    if kept is not None:
        theme_po.write_bytes(kept)
    filled = sum(fill_untranslatable(po) for po in sorted(CATALOGUES.rglob("*.po")))
    print(f"extract: .pot in {t_pot:.1f} s, catalogues updated in {time.perf_counter() - t - t_pot:.1f} s; "
          f"{filled} messages with nothing to translate copied as they are")
    return 0


def zh_overrides(execute: str) -> dict:
    import yaml

    overrides = {"language": LANG, "locale_dirs": [str(LOCALE)], **GETTEXT}
    if ZH_CONFIG.exists():
        overrides.update(yaml.safe_load(ZH_CONFIG.read_text(encoding="utf-8")) or {})
    if execute == "off":
        overrides.update(NO_EXECUTION)
    else:
        overrides.update(nb_execution_mode=execute, nb_execution_cache_path=str(ZH_CACHE))
    return overrides


def figures_in_chinese() -> None:
    """Make every kernel the build starts draw its figures' text in Chinese (cnnlib.figure_language): an
    IPython startup file, and the catalogue, font and misses file in the environment the kernels inherit."""
    from cnnlib import figure_language as fl

    startup = ZH_IPYTHONDIR / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-cnnlib-figures.py").write_text("from cnnlib import figure_language\nfigure_language.install()\n")
    os.environ["IPYTHONDIR"] = str(ZH_IPYTHONDIR)
    os.environ[fl.CATALOGUE_ENV] = str(FIGURES)
    os.environ[fl.FONT_ENV] = str(FIGURE_FONT)
    os.environ[fl.MISSES_ENV] = str(FIGURE_MISSES)


def twin_env(args) -> int:
    """Print the environment of the English build's kernels (``KEY=value`` lines, for ``env``): they make the
    Chinese twin of every output (cnnlib.twin_outputs), installed by an IPython startup file written here."""
    from cnnlib import figure_language as fl
    from cnnlib import twin_outputs

    startup = TWIN_IPYTHONDIR / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-cnnlib-twins.py").write_text("from cnnlib import twin_outputs\ntwin_outputs.install()\n")
    TWINS.mkdir(parents=True, exist_ok=True)
    env = {"IPYTHONDIR": TWIN_IPYTHONDIR, twin_outputs.DIR_ENV: TWINS, fl.CATALOGUE_ENV: FIGURES,
           fl.FONT_ENV: FIGURE_FONT, fl.MISSES_ENV: FIGURE_MISSES}
    print("\n".join(f"{k}={v}" for k, v in env.items()))
    return 0


_TABLE_CELL = re.compile(r"(<(th|td|summary)\b[^>]*>)(.*?)(</\2>)", re.S)


def translate_tables(html: str, catalogue: dict, misses: set) -> str:
    """An HTML table of results (an output such as ``explain.html_table``'s) in Chinese: every header
    (``<th>``, ``<summary>``) by the figures' catalogue, a miss recorded; a data cell (``<td>``) where the
    catalogue has it (numbers, names and licences stay as they are)."""
    from cnnlib import figure_language as fl

    def cell(m):
        head, tag, inner, tail = m.groups()
        parts = re.split(r"(<[^>]+>)", inner)  # the text between inline tags (<b>fails</b>)
        found = misses if tag != "td" else None
        parts = [p if p.startswith("<") or not p.strip() else fl.translate(p, catalogue, found) for p in parts]
        return head + "".join(parts) + tail

    return _TABLE_CELL.sub(cell, html)


def figure_catalogue() -> dict:
    """The figures' catalogue with the explorers' (what cnnlib.figure_language.install looks texts up in)."""
    from cnnlib import figure_language

    return figure_language.load_catalogue(FIGURES)


def to_chinese(nb, twins: Path = TWINS, catalogue: dict | None = None,
               misses: set | None = None) -> tuple[dict, list[str]]:
    """The executed English notebook ``nb`` (changed in place) with each picture and static explorer
    replaced by its Chinese twin and each table of results translated (:func:`translate_tables`, a header
    without a translation added to ``misses``); returns ``(counts, problems)``: what was replaced, and each
    output that has no twin (the English build ran without cnnlib.twin_outputs)."""
    import base64

    from cnnlib import twin_outputs
    from cnnlib.viz import _png_size  # (width, height) from a PNG's header

    catalogue = figure_catalogue() if catalogue is None else catalogue
    misses = set() if misses is None else misses
    counts = {"pictures": 0, "explorers": 0, "tables": 0}
    problems: list[str] = []
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data and "<table" in "".join(data["text/html"]):
                data["text/html"] = translate_tables("".join(data["text/html"]), catalogue, misses)
                counts["tables"] += 1
            if "image/png" in data:
                png = base64.b64decode(data["image/png"])
                twin = twins / twin_outputs.png_twin_name(png)
                if not twin.exists():
                    problems.append(f"cell {i}: a picture without its Chinese twin")
                    continue
                zh = json.loads(twin.read_text(encoding="utf-8"))["png"]
                data["image/png"] = zh
                meta = out.get("metadata", {}).get("image/png")
                if meta and "width" in meta:  # the same scale for a picture laid out a little wider or narrower
                    (w0, h0), (w1, h1) = _png_size(png), _png_size(base64.b64decode(zh))
                    meta["width"], meta["height"] = round(meta["width"] * w1 / w0), round(meta["height"] * h1 / h0)
                counts["pictures"] += 1
            if WIDGET_VIEW in data:
                model_id = data[WIDGET_VIEW]["model_id"]
                twin = twins / twin_outputs.widget_twin_name(model_id)
                if not twin.exists():
                    problems.append(f"cell {i}: an explorer without its Chinese twin")
                    continue
                zh = json.loads(twin.read_text(encoding="utf-8"))
                for key in zh["drop"]:
                    state.pop(key, None)
                state.update(zh["state"])
                data[WIDGET_VIEW] = {**data[WIDGET_VIEW], "model_id": zh["root"]}
                counts["explorers"] += 1
    return counts, problems


def chinese_cache(strict: bool) -> int:
    """Fill the Chinese execution cache from the English one, each output replaced by its twin
    (:func:`to_chinese`). Returns 0, or 1 when ``strict`` and some output had no twin."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    shutil.rmtree(ZH_CACHE, ignore_errors=True)
    if not EN_CACHE.exists():
        print("build-zh: no English execution cache: the Chinese build executes the chapters itself")
        return 0
    en, zh = get_cache(EN_CACHE), get_cache(ZH_CACHE)
    total, problems = {"notebooks": 0, "pictures": 0, "explorers": 0, "tables": 0}, []
    catalogue, misses = figure_catalogue(), set()
    for record in en.list_cache_records():
        nb = en.get_cache_bundle(record.pk).nb
        counts, missing = to_chinese(nb, TWINS, catalogue, misses)
        problems += [f"{Path(record.uri).name} {m}" for m in missing]
        zh.cache_notebook_bundle(CacheBundleIn(nb, record.uri, data=record.data), check_validity=False,
                                 overwrite=True)
        total["notebooks"] += 1
        for k, v in counts.items():
            total[k] += v
    print(f"build-zh: the English cache's {total['notebooks']} notebooks copied with {total['pictures']} pictures, "
          f"{total['explorers']} explorers and {total['tables']} tables in Chinese")
    if misses:  # recorded with the figures' (tools/i18n.py check and the tests fail on any)
        with FIGURE_MISSES.open("a", encoding="utf-8") as f:
            f.writelines(json.dumps(m, ensure_ascii=False) + "\n" for m in sorted(misses))
    for m in problems[:10]:
        print(f"  {m}")
    if problems:
        print(f"build-zh: {len(problems)} outputs have no Chinese twin: the English cache was not made by "
              f"`make book` (rm -rf {EN_CACHE.relative_to(ROOT)} and run it again)")
    return 1 if problems and strict else 0


def build_zh(args) -> int:
    os.environ["CNNLIB_LANG"] = EXPLORER_LANG
    os.environ.setdefault("CNNLIB_EXPLORER_MODE", "static")
    figures_in_chinese()
    t = time.perf_counter()
    if args.execute == "cache" and chinese_cache(args.strict):
        return 1
    rc = sphinx("html", ZH_OUT, ROOT / "_build" / ".doctrees-zh", zh_overrides(args.execute), args.strict,
                quiet=not args.verbose)
    print(f"build-zh: {ZH_OUT.relative_to(ROOT)} in {time.perf_counter() - t:.1f} s (execute={args.execute}), "
          f"exit {rc!r}")
    return rc if isinstance(rc, int) else 1  # build_sphinx returns the exception of a crashed build


# --------------------------------------------------------------------------- catalogues


_CODE = re.compile(r"``.*?``|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<[^>]+>|https?://\S+", re.S)


def prose(text: str) -> str:
    """``text`` without its inline code, roles' targets, math, link targets and URLs: the words to translate."""
    return _CODE.sub(" ", text)


def needs_translation(msgid: str) -> bool:
    """False for a message with no English word outside code and math (``$y = f(x)$``, ``{cite:p}`a2020```,
    a display formula's LaTeX)."""
    words = re.sub(r"\{[\w:-]+\}|\\[A-Za-z]+", " ", prose(msgid))
    return bool(re.search(r"[A-Za-z]{2,}", words))


def fill_untranslatable(po: Path) -> int:
    """Copy each untranslated message with nothing to translate into its msgstr; how many were."""
    from sphinx_intl import catalog as c

    cat = c.load_po(str(po))
    n = 0
    for m in cat:
        if m.id and not m.string and not needs_translation(m.id):
            m.string = m.id
            n += 1
    if n:
        c.dump_po(str(po), cat)
    return n


def english_only(message) -> bool:
    """A message only from cnnlib's docstrings (babel splits "cnnlib/x.py:docstring of cnnlib.x:3" at spaces)."""
    paths = [str(path) for path, _ in message.locations]
    return any(src in p for p in paths for src in ENGLISH_ONLY_SOURCES) and not any(
        p.endswith((".md", ".ipynb")) for p in paths
    )


@dataclass
class Report:
    doc: str
    messages: int = 0
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    glossary: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    english_only: int = 0


def compare(pot: Path, po: Path, terms: list[Term]) -> Report:
    """The catalogue ``po`` as ``extract`` would leave it for ``pot``, judged (in memory, nothing written)."""
    from sphinx_intl import catalog as c

    doc = pot.relative_to(POT_DIR).with_suffix("").as_posix()
    report = Report(doc)
    template = c.load_po(str(pot))
    if po.exists():
        cat = c.load_po(str(po))
        c.update_with_fuzzy(cat, template)
    else:
        cat = template
    for m in cat:
        if not m.id:
            continue
        if english_only(m):
            report.english_only += 1
            continue
        report.messages += 1
        if not m.string:
            (report.untranslated if needs_translation(m.id) else []).append(m.id)
        elif m.fuzzy:
            report.fuzzy.append(m.id)
        else:
            report.glossary += [f"{t.english!r} → {t.chinese!r}: {m.string[:60]!r}" for t in glossary_misses(m, terms)]
            report.numbers += [f"{n} missing: {m.string[:60]!r}" for n in number_misses(m)]
    return report


#: A number as prose writes it (0.938, 13,156, 97.6 in 97.6 %, 2012); digits glued to Latin letters or
#: underscores (conv2d, x_1) are names, digits after CJK characters are still numbers.
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.,])\d+(?:[.,]\d+)*")
#: "2-D", "1-D": words, rendered 二维, 一维.
_DIMENSION = re.compile(r"\b\d-D\b")


def number_misses(message) -> list[str]:
    """Numbers of the English message's prose (code and maths aside) that its translation does not contain:
    a number must not change on its way into Chinese. A translator's comment ``# numbers-ok: 124 138 (why)``
    above the message accepts numbers the translation writes another way (1.24 亿 for 124 million)."""
    allowed = set()
    for comment in message.user_comments:
        if m := re.match(r"numbers-ok:([^(]+)", comment):
            allowed.update(m.group(1).split())
    english = _NUMBER.findall(_DIMENSION.sub(" ", prose(message.id)))
    translated = set(_NUMBER.findall(message.string))
    return [n for n in dict.fromkeys(english) if n not in translated and n not in allowed]


# --------------------------------------------------------------------------- glossary


@dataclass
class Term:
    english: str  # one English form, lower case: "feature map"
    chinese: tuple[str, ...]  # what the translation must contain (any one): ("特征图",)
    pattern: re.Pattern = None

    def __post_init__(self):
        words = r"\s+".join(re.escape(w) for w in self.english.split())
        self.pattern = re.compile(rf"(?<![\w-]){words}(e?s)?(?![\w-])", re.I)


def _variants(cell: str) -> list[str]:
    """``"空洞卷积 (扩张卷积)"`` → ["空洞卷积", "扩张卷积"]; ``"kernel, filter"`` → ["kernel", "filter"];
    ``"fully connected (dense) layer"`` → ["fully connected layer", "dense layer"]."""
    out = []
    for part in re.split(r"[,，]", cell):
        m = re.match(r"^\s*(.*?)\s*\((.*?)\)\s*(.*?)\s*$", part)
        if m and m.group(3):  # an alternative in the middle
            out += [f"{m.group(1)} {m.group(3)}", f"{m.group(2)} {m.group(3)}"]
        elif m:
            out += [s.strip() for s in m.groups()[:2] if s.strip()]
        elif part.strip():
            out.append(part.strip())
    return out


def glossary_terms(path: Path = GLOSSARY) -> list[Term]:
    """The glossary's table as terms: each English form with the Chinese renderings that count as consistent.

    The English column's forms (``kernel, filter``; ``convolutional neural network (CNN)``) all map to the
    Chinese column's forms (``空洞卷积 (扩张卷积)``: either); a Latin abbreviation or name that is itself one
    of the English forms (``CNN``, ``ReLU``, ``Grad-CAM``, ``logit``) may also stay as it is. A row of slashes
    (``training / validation / test set``) pairs its parts in order."""
    terms: list[Term] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not re.search(r"[\u4e00-\u9fff]", cells[1]) or cells[0] == "English":
            continue
        english, chinese = cells[0], cells[1]
        if "/" in english and "/" in chinese:
            en_parts = [p.strip() for p in english.split("/")]
            zh_parts = [p.strip() for p in chinese.split("/")]
            tail = " ".join(en_parts[-1].split()[1:])  # "test set": "set" belongs to every part
            for en, zh in zip(en_parts, zh_parts, strict=True):
                terms.append(Term(en if " " in en or not tail else f"{en} {tail}", (zh,)))
            continue
        en_forms, zh_forms = _variants(english), _variants(chinese)
        latin = tuple(f for f in en_forms if re.fullmatch(r"[A-Z][\w-]*", f) or f in zh_forms)
        for en in en_forms:
            accept = tuple(z for z in zh_forms if re.search(r"[\u4e00-\u9fff]", z)) + latin
            terms.append(Term(en, tuple(dict.fromkeys(accept))))
    # the longest first: "max pooling" is judged before "pooling"
    return sorted(terms, key=lambda t: -len(t.english))


def glossary_misses(message, terms: list[Term]) -> list[Term]:
    """The glossary terms in the English message that its translation renders with none of their renderings.

    A translator's comment ``# glossary-ok: <term> (why)`` above the message in the .po accepts a deliberate
    exception (``attribution`` in "quoted with attribution" is not the ML term)."""
    allowed = {m.group(1).strip().lower() for c in message.user_comments if (m := re.match(r"glossary-ok:([^(]+)", c))}
    english = prose(message.id)
    translation = message.string
    misses = []
    for term in terms:
        if term.english.lower() in allowed or not term.pattern.search(english):
            continue
        if not any(zh in translation for zh in term.chinese):
            misses.append(term)
    return misses


# --------------------------------------------------------------------------- how Chinese a built page is

#: What a page's prose share leaves out: code, outputs, maths, the API's docstrings, the bibliography, the
#: glossary's English column, and names.
_NOT_PROSE = ["div.cell_input", "div.cell_output", "pre", "code", ".math", "div.highlight", "script", "style",
              "dl.py", "div.citation", "span.lang-switch", "nav", "table td:first-child"]
#: Latin words that are names or symbols, not untranslated prose: capitalised words and abbreviations
#: (Grad-CAM, PyTorch, ReLU, Adebayo), units and these lower-case technical names.
_NAMES = {"logit", "logits", "softmax", "conv", "px", "et", "al", "numpy", "cnnlib", "im2col", "col2im", "argmax",
          "sobel", "relu", "tanh", "sigmoid", "eval", "same", "valid", "full", "tap", "jitter"}


def prose_share(html: str) -> tuple[int, int]:
    """(CJK characters, Latin letters of words that are not names) in a built page's article prose."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    main = soup.select_one("article") or soup
    for selector in _NOT_PROSE:
        for el in main.select(selector):
            el.decompose()
    text = re.sub(r"\\\(.*?\\\)|\$[^$]*\$", " ", main.get_text(" "))
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    latin = sum(len(w) for w in re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
                if not (w[0].isupper() or w.lower() in _NAMES))
    return cjk, latin


# --------------------------------------------------------------------------- reports


def _docs(selected: list[str]) -> list[Path]:
    pots = sorted(POT_DIR.rglob("*.pot"))
    if selected:
        wanted = {s.removesuffix(".md").removesuffix(".ipynb") for s in selected}
        pots = [p for p in pots if p.relative_to(POT_DIR).with_suffix("").as_posix() in wanted]
        if len(pots) != len(wanted):
            raise SystemExit(f"no such page among {sorted(wanted)}")
    return pots


def check(args) -> int:
    if not args.no_extract:
        make_pot()
    terms = glossary_terms()
    total = untranslated = fuzzy = glossary = numbers = 0
    for pot in _docs(args.pages):
        r = compare(pot, CATALOGUES / pot.relative_to(POT_DIR).with_suffix(".po"), terms)
        total += r.messages
        untranslated += len(r.untranslated)
        fuzzy += len(r.fuzzy)
        glossary += len(r.glossary)
        numbers += len(r.numbers)
        extra = f", {r.english_only} API messages left English" if r.english_only else ""
        print(f"{r.doc}: {r.messages} messages, {len(r.untranslated)} untranslated, {len(r.fuzzy)} fuzzy, "
              f"{len(r.glossary)} glossary, {len(r.numbers)} numbers{extra}")
        for msg in (r.fuzzy + r.glossary + r.numbers)[: args.show]:
            print(f"    {msg[:110]!r}")
    figures = figure_report(terms)
    print(f"check: {total} messages, {untranslated} untranslated, {fuzzy} fuzzy, {glossary} inconsistent terms, "
          f"{numbers} changed numbers; figures: {figures}")
    return 1 if untranslated or fuzzy or glossary or numbers or figures["problems"] else 0


def figure_report(terms: list[Term]) -> dict:
    """The figure catalogue judged: entries whose fields, glossary terms or numbers differ from their English,
    and the texts the last Chinese build (if any) drew without a translation."""
    from babel.messages.catalog import Message

    catalogue = json.loads(FIGURES.read_text(encoding="utf-8")) if FIGURES.exists() else {}
    bad = [k for k, v in catalogue.items()
           if sorted(re.findall(r"(?<!\{)\{\d+\}", k)) != sorted(re.findall(r"(?<!\{)\{\d+\}", v)) or not v.strip()]
    bad += [f"{k!r}: {[t.english for t in misses]}" for k, v in catalogue.items()
            if (misses := glossary_misses(Message(k, v), terms))]
    bad += [f"{k!r}: numbers {misses}" for k, v in catalogue.items() if (misses := number_misses(Message(k, v)))]
    missing = FIGURE_MISSES.read_text(encoding="utf-8").splitlines() if FIGURE_MISSES.exists() else []
    missing = [json.loads(line) for line in missing if line.strip() and json.loads(line) not in catalogue]
    for line in (bad + missing)[:20]:
        print(f"    figure text: {line!r}")
    return {"entries": len(catalogue), "problems": len(bad) + len(missing), "untranslated": len(missing)}


def stats(args) -> int:
    from sphinx_intl import catalog as c

    if not args.no_extract:
        make_pot()
    n = chars = n_api = chars_api = 0
    for pot in _docs([]):
        cat = c.load_po(str(pot))
        msgs = [m for m in cat if m.id]
        api = [m for m in msgs if english_only(m)]
        rest = [m for m in msgs if not english_only(m)]
        k, ch = len(rest), sum(len(m.id) for m in rest)
        n, chars, n_api, chars_api = n + k, chars + ch, n_api + len(api), chars_api + sum(len(m.id) for m in api)
        print(f"{pot.relative_to(POT_DIR).with_suffix('')}: {k} messages, {ch} characters"
              + (f" (+ {len(api)} API docstring messages, {sum(len(m.id) for m in api)} characters)" if api else ""))
    print(f"stats: {n} messages, {chars} English characters; API docstrings {n_api} messages, {chars_api} characters")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="update the .po catalogues from the English sources")
    p.add_argument("--strict", action="store_true", help="warnings are errors")
    p.add_argument("--line-width", type=int, default=76)
    p.set_defaults(func=extract)
    p = sub.add_parser("build-zh", help="build the Chinese site into _build/html/zh")
    p.add_argument("--execute", choices=["cache", "off", "force"], default="cache")
    p.add_argument("--strict", action="store_true", help="warnings are errors (-W --keep-going)")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=build_zh)
    p = sub.add_parser("twin-env", help="the English build kernels' environment (they draw the Chinese twins)")
    p.set_defaults(func=twin_env)
    p = sub.add_parser("check", help="untranslated, fuzzy and inconsistent messages; exit 1 if any")
    p.add_argument("pages", nargs="*", help="docnames (book/preface); default: every page")
    p.add_argument("--no-extract", action="store_true", help="use the .pot files already in _build/gettext")
    p.add_argument("--show", type=int, default=5, help="fuzzy/glossary messages to print per page")
    p.set_defaults(func=check)
    p = sub.add_parser("stats", help="messages and English characters")
    p.add_argument("--no-extract", action="store_true")
    p.set_defaults(func=stats)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
