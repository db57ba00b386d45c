"""tools/execute.py: chapters executed two at a time into the cache that MyST-NB reads."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import execute  # noqa: E402


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_notebooks_run_in_parallel_into_the_cache_sphinx_reads(tmp_path, monkeypatch, capsys):
    """Each notebook runs in its own folder with one BLAS thread; the cache then matches the notebook as
    MyST-NB looks it up (by its cells), holds its outputs, and a second run executes nothing."""
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)  # main() sets it; restored after the test
    trained = []
    monkeypatch.setattr(execute, "train_shared_networks", lambda: trained.append(1))
    first = _notebook(tmp_path / "a.ipynb", "import os\nprint(os.getcwd(), os.environ['OPENBLAS_NUM_THREADS'])")
    second = _notebook(tmp_path / "b.ipynb", "print(6 * 7)")
    cache_dir = str(tmp_path / "cache")
    assert execute.main([str(first), str(second), "--cache", cache_dir]) == 0
    assert trained == [1]
    cache = get_cache(cache_dir)
    out = cache.merge_match_into_notebook(nbformat.read(first, as_version=4))[1]
    assert out.cells[0].outputs[0]["text"].strip() == f"{tmp_path} 1"
    out = cache.merge_match_into_notebook(nbformat.read(second, as_version=4))[1]
    assert out.cells[0].outputs[0]["text"].strip() == "42"
    capsys.readouterr()
    assert execute.main([str(first), str(second), "--cache", cache_dir]) == 0
    assert "all 2 notebooks are in the cache" in capsys.readouterr().out
    assert trained == [1]  # nothing to execute: no training either


def test_a_failing_notebook_fails_the_run_with_its_error(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr(execute, "train_shared_networks", lambda: None)
    bad = _notebook(tmp_path / "bad.ipynb", "raise ValueError('kernel size 0')")
    good = _notebook(tmp_path / "good.ipynb", "1 + 1")
    cache_dir = str(tmp_path / "cache")
    assert execute.main([str(bad), str(good), "--cache", cache_dir, "--workers", "1"]) == 1
    err = capsys.readouterr().err
    assert "bad.ipynb failed" in err and "kernel size 0" in err
    cache = get_cache(cache_dir)
    with pytest.raises(KeyError):
        cache.match_cache_notebook(nbformat.read(bad, as_version=4))
    cache.match_cache_notebook(nbformat.read(good, as_version=4))  # the other one is cached


def test_workers_must_be_positive(tmp_path):
    with pytest.raises(SystemExit):
        execute.main([str(tmp_path / "x.ipynb"), "--workers", "0"])
