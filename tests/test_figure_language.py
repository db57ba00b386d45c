"""cnnlib.figure_language: figure text looked up by template, numbers carried over, misses recorded; the
installed hook (in a subprocess: it patches matplotlib for the whole process) draws Chinese with the subset."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlib import figure_language as fl

ROOT = Path(__file__).resolve().parents[1]


def test_template_replaces_numbers_by_fields():
    assert fl.template("conv 2: 10×26×26 (logit −3.5)") == ("conv {0}: {1}×{2}×{3} (logit {4})",
                                                           ["2", "10", "26", "26", "−3.5"])
    assert fl.template("conv2d 1,150 images, 1e-3") == ("conv2d {0} images, {1}", ["1,150", "1e-3"])
    assert fl.template("{x} set") == ("{{x}} set", [])


@pytest.mark.parametrize(("text", "needed"), [("loss", True), ("0.5", False), ("$\\eta$", False),
                                               ("$x$ axis", True), ("×", False), ("a", False)])
def test_needs_translation(text, needed):
    assert fl.needs_translation(text) is needed


def test_translate_fills_the_numbers_back_and_records_misses():
    catalogue = {"circle (logit {0})": "圆形（logit {0}）", "{{x}} set": "{{x}} 集"}
    misses = set()
    assert fl.translate("circle (logit 12)", catalogue, misses) == "圆形（logit 12）"
    assert fl.translate("{x} set", catalogue, misses) == "{x} 集"
    assert fl.translate("0.25", catalogue, misses) == "0.25"
    assert misses == set()
    # several lines: whole, else line by line; a miss is recorded whole
    catalogue.update({"square": "正方形", "one long\nsentence": "一句话"})
    assert fl.translate("circle (logit 12)\nsquare", catalogue, misses) == "圆形（logit 12）\n正方形"
    assert fl.translate("one long\nsentence", catalogue, misses) == "一句话"
    assert fl.translate("square\ntriangle 3", catalogue, misses) == "square\ntriangle 3"
    assert misses == {"square\ntriangle {0}"}


def test_load_catalogue_puts_the_figures_over_the_explorers(tmp_path, monkeypatch):
    from cnnlib.translations import ZH

    path = tmp_path / "figures.json"
    path.write_text(json.dumps({"circle (logit {0})": "圆形（logit {0}）", "stride": "步长"}), encoding="utf-8")
    loaded = fl.load_catalogue(path)
    assert loaded["circle (logit {0})"] == "圆形（logit {0}）" and loaded["stride"] == "步长"  # the file wins
    assert {k: v for k, v in loaded.items() if k not in ("circle (logit {0})", "stride")} == {
        k: v for k, v in ZH.items() if k != "stride"}
    monkeypatch.setenv(fl.CATALOGUE_ENV, str(path))
    assert fl.load_catalogue() == loaded
    monkeypatch.delenv(fl.CATALOGUE_ENV)
    assert fl.load_catalogue() == ZH


def test_installed_hook_draws_the_translation(tmp_path):
    font = ROOT / "locale" / "zh_CN" / "figures-cjk.otf"
    code = f"""
import json, matplotlib
matplotlib.use("Agg")
import numpy as np
from cnnlib import figure_language as fl
fl.install({{"loss after {{0}} steps": "{{0}} 步的损失"}}, font={str(font)!r},
           misses_file={str(tmp_path / "m.txt")!r})
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2), dpi=100, layout="constrained")
ax.set_title("loss after 40 steps")
ax.set_xlabel("stride")  # from the explorers' catalogue
ax.set_ylabel("something new")
fig.canvas.draw()
rgba = np.asarray(fig.canvas.buffer_rgba())
from cnnlib import widgets
caption = widgets._caption_html("loss after 7 steps")
print(json.dumps([ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), int((rgba[:, :, 0] < 128).sum()), caption]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    title, xlabel, ylabel, dark, caption = json.loads(out.stdout.strip().splitlines()[-1])
    assert ">7 步的损失<" in caption  # an explorer's caption, through the same catalogue
    assert (title, xlabel, ylabel) == ("40 步的损失", "步幅", "something new")
    assert "missing from" not in out.stderr.lower() and "glyph" not in out.stderr.lower(), out.stderr
    assert dark > 0
    assert [json.loads(line) for line in (tmp_path / "m.txt").read_text().splitlines()] == ["something new"]


def test_nothing_is_translated_unless_installed():
    """The English edition never calls install: captions pass through unchanged."""
    from cnnlib import widgets

    assert "catalogue" not in fl._STATE
    assert fl.translate_installed("loss after 7 steps") == "loss after 7 steps"
    assert "loss after 7 steps" in widgets._caption_html("loss after 7 steps")
