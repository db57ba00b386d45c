"""cnnlib installs anywhere: the sdist and the wheel built from the checkout hold every subpackage and data
file, carry a PyPI project's metadata, and a non-editable install runs chapters 1 and 2 outside the checkout.

As ``python -m build`` does, the sdist is built from the checkout's files (those git sees: a file a clean
clone would not have cannot count) and the wheel from the unpacked sdist, both through setuptools' PEP 517
hooks (offline, no build isolation). The wheel is installed into a fresh venv outside the checkout whose
only other packages are the shared venv's, reached through a ``.pth`` line (no download, no pip inside,
no editable cnnlib), and the chapters run there with nbclient, cwd outside the checkout.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01_background", "02_core_concepts"]
PACKAGE_DATA = ["weights/*.npz"]  # as pyproject.toml's [tool.setuptools.package-data]
# import name -> distribution name, where they differ
DISTRIBUTION = {"PIL": "pillow", "sklearn": "scikit-learn", "skimage": "scikit-image", "IPython": "ipython"}


def _third_party_imports() -> set[str]:
    """Top-level modules that cnnlib's source imports, anywhere (lazy imports included), not stdlib."""
    found = set()
    for path in (ROOT / "cnnlib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):  # statements, not docstrings' words
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("cnnlib", "__future__")}


def _checkout_files() -> list[str]:
    """The files of the checkout a clean clone has (tracked, or new and not ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\n")
    return sorted(f for f in out if f and (ROOT / f).is_file())


def _expected_package_files() -> list[str]:
    """Every module of every cnnlib package and every package data file, as paths inside the wheel."""
    files = _checkout_files()
    modules = [f for f in files if f.startswith("cnnlib/") and f.endswith(".py")]
    data = [f for f in files for pattern in PACKAGE_DATA if Path(f).match(f"cnnlib/{pattern}")]
    return sorted(modules + data)


def _hook(hook: str, source: Path, out: Path) -> Path:
    code = f"from setuptools import build_meta as b; print(b.{hook}({str(out)!r}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=source, check=True, capture_output=True, text=True)
    return out / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    """(sdist, wheel) built like ``python -m build``: sdist from the checkout, wheel from the sdist."""
    tmp = tmp_path_factory.mktemp("dists")
    src = tmp / "checkout"
    for f in _checkout_files():
        if f in ("pyproject.toml", "README.md", "MANIFEST.in") or f.startswith(("cnnlib/", "LICENSE")):
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    out = tmp / "dist"
    out.mkdir()
    sdist = _hook("build_sdist", src, out)
    with tarfile.open(sdist) as tf:
        tf.extractall(tmp / "unpacked", filter="data")
    (unpacked,) = (tmp / "unpacked").iterdir()
    wheel = _hook("build_wheel", unpacked, out)
    return sdist, wheel


def _metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(zf.read(name).decode())


def test_wheel_and_sdist_hold_every_subpackage_and_data_file(dists):
    sdist, wheel = dists
    expected = _expected_package_files()
    assert "cnnlib/explorers/__init__.py" in expected  # the subpackage the old `packages = ["cnnlib"]` lost
    with zipfile.ZipFile(wheel) as zf:
        in_wheel = sorted(n for n in zf.namelist() if not n.split("/")[0].endswith(".dist-info"))
    assert in_wheel == expected, f"missing {set(expected) - set(in_wheel)}, extra {set(in_wheel) - set(expected)}"
    packages = {str(Path(f).parent) for f in expected if f.endswith("__init__.py")}
    assert {"cnnlib", "cnnlib/explorers"} <= packages
    with tarfile.open(sdist) as tf:
        in_sdist = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    for f in expected + ["pyproject.toml", "README.md"] + [f for f in _checkout_files() if f.startswith("LICENSE")]:
        assert f in in_sdist, f"{f} is not in the sdist"
    print(f"\nwheel {wheel.name}: {len(in_wheel)} files; sdist {sdist.name}: {len(in_sdist)} entries")


def test_metadata_as_a_pypi_project_has_it(dists):
    _, wheel = dists
    meta = _metadata(wheel)
    import cnnlib

    assert meta["Name"] == "cnnlib"
    assert meta["Version"] == cnnlib.__version__, "pyproject.toml and cnnlib.__version__ disagree"
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"] == "text/markdown" and "cnnlib" in meta.get_payload()
    classifiers = meta.get_all("Classifier")
    assert "Programming Language :: Python :: 3.11" in classifiers and "Intended Audience :: Education" in classifiers
    requires = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower(): r for r in meta.get_all("Requires-Dist")}
    # every package cnnlib imports (lazily too) is declared, with a lower bound (exact pins: requirements.txt)
    imported = _third_party_imports()
    assert {"numpy", "matplotlib", "ipywidgets"} <= imported
    for module in imported:
        name = DISTRIBUTION.get(module, module).lower()
        assert name in requires, f"cnnlib imports {module} but does not declare {name}"
        assert ">=" in requires[name] and "==" not in requires[name], requires[name]
    assert "numpy>=2.0" in requires.values() and "matplotlib>=3.8" in requires.values()
    assert "torch" not in requires, "PyTorch is a test oracle, never a runtime dependency"
    if (ROOT / "LICENSE").exists():
        with zipfile.ZipFile(wheel) as zf:
            assert any(n.endswith(".dist-info/licenses/LICENSE") for n in zf.namelist())


@pytest.fixture(scope="module")
def wheel_venv(dists, tmp_path_factory):
    """A fresh venv outside the checkout: cnnlib only from the wheel, everything else from the shared venv."""
    _, wheel = dists
    venv = tmp_path_factory.mktemp("wheel-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    shared = Path(sysconfig.get_path("purelib"))
    # a .pth line adds the shared site-packages to sys.path without running its .pth files, so the
    # shared venv's editable cnnlib (a .pth finder pointing at a checkout) stays out
    (site / "shared-venv.pth").write_text(f"{shared}\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True)
    return python


@pytest.fixture(scope="module")
def weights_cache(tmp_path_factory):
    """One trained-weights cache for both chapters (chapter 2 reuses chapter 1's digit CNN), fresh per run."""
    return tmp_path_factory.mktemp("cnnlib-cache")


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CNNLIB_EXPLORER_MODE")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def test_wheel_installs_outside_the_checkout(wheel_venv, tmp_path):
    code = ("import json, cnnlib, cnnlib.explorers, cnnlib.explorers.core_concepts, importlib.metadata as m; "
            "print(json.dumps([cnnlib.__file__, cnnlib.explorers.__file__, m.version('cnnlib')]))")
    out = subprocess.run([str(wheel_venv), "-c", code], cwd=tmp_path, env=_clean_env(), check=True,
                         capture_output=True, text=True).stdout
    init, explorers, version = json.loads(out.strip().splitlines()[-1])
    site = str(wheel_venv.parent.parent)
    assert init.startswith(site) and explorers.startswith(site), (init, explorers)
    assert not init.startswith(str(ROOT))
    import cnnlib

    assert version == cnnlib.__version__


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_with_the_installed_wheel(wheel_venv, weights_cache, chapter, tmp_path, monkeypatch):
    """The chapter, top to bottom (its hidden checks included), in a kernel of the wheel's venv."""
    from nbclient import NotebookClient

    kernels = tmp_path / "jupyter" / "kernels" / "cnnlib-wheel"
    kernels.mkdir(parents=True)
    env = {"PYTHONPATH": "", "PYTHONNOUSERSITE": "1", "CNNLIB_CACHE_DIR": str(weights_cache)}
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(wheel_venv), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "cnnlib from the wheel", "language": "python", "env": env,
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv("PYTHONPATH", raising=False)
    run = tmp_path / "run"
    run.mkdir()
    nb = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import cnnlib, os; print('CNNLIB_FROM', cnnlib.__file__); "
                                                 "print('CWD', os.getcwd())"))
    NotebookClient(nb, timeout=600, kernel_name="cnnlib-wheel", resources={"metadata": {"path": str(run)}}).execute()
    first = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert f"CNNLIB_FROM {wheel_venv.parent.parent}" in first, first
    assert f"CWD {run}" in first, first
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
