"""cnnlib.twin_outputs (the English build's kernels draw the Chinese edition's outputs too) and
tools/i18n.py's to_chinese (which swaps them into a copy of the English notebooks). The installed hooks patch
matplotlib and ipywidgets for the whole process, so they run in a subprocess."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from cnnlib import twin_outputs
from cnnlib.viz import encode_png

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import i18n  # noqa: E402


def test_install_needs_a_directory(monkeypatch):
    monkeypatch.delenv(twin_outputs.DIR_ENV, raising=False)
    with pytest.raises(ValueError, match="directory"):
        twin_outputs.install()
    assert twin_outputs._STATE["dir"] is None


def test_nothing_is_made_twice_unless_installed():
    calls = []

    @twin_outputs.bilingual
    def build(x):
        calls.append(x)
        return x

    assert build(3) == 3 and calls == [3]


def test_a_picture_and_an_explorer_get_chinese_twins(tmp_path):
    twins = tmp_path / "twins"
    code = f"""
import io, json, os
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from cnnlib.widgets import Choice, Explorer, new_figure

def picture():
    fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.set_title("loss")
    ax.set_xlabel("stride")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()

before = picture()
from cnnlib import twin_outputs
twin_outputs.install({str(twins)!r})
after = picture()

fig, ax = new_figure(3, 2)  # one figure updated in place, its title set once, in English
ax.set_title("loss")
def render(stride):
    ax.set_xlabel(f"stride {{stride}}")
    return fig
ex = Explorer(controls={{"stride": Choice([1, 2], label="stride")}}, render=render, title="Your own kernel")
root = ex.build("static")
from ipywidgets.widgets import widget as wm
print(json.dumps({{"same": before == after, "root": root.model_id, "kept": ex.widget is root,
                  "english": root.children[1].children[0].description, "title": ax.get_title(),
                  "alive": sorted(wm._instances)}}))
"""
    env = {"CNNLIB_FIGURE_CATALOGUE": str(i18n.FIGURES), "CNNLIB_FIGURE_FONT": str(i18n.FIGURE_FONT),
           "CNNLIB_FIGURE_MISSES": str(tmp_path / "misses.txt")}
    import os

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, **env}, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert "glyph" not in out.stderr.lower(), out.stderr
    # the English picture is untouched; its twin is another picture
    assert r["same"]
    pngs = sorted(twins.glob("png-*.json"))
    assert len(pngs) == 1
    # the explorer: the English widgets stay the kernel's, the Chinese ones are only in the twin
    assert r["kept"] and r["english"] == "stride" and r["title"] == "loss"
    twin = json.loads((twins / twin_outputs.widget_twin_name(r["root"])).read_text(encoding="utf-8"))
    assert twin["root"] in twin["state"] and not set(twin["state"]) & set(r["alive"])
    assert set(twin["drop"]) <= set(r["alive"]) and r["root"] in twin["drop"]
    text = json.dumps(twin["state"], ensure_ascii=False)
    assert '"description": "步幅"' in text and "你自己的卷积核" in text
    images = [m for m in twin["state"].values() if m["model_name"] == "ImageModel"]
    assert len(images) == 2  # both precomputed states, drawn again with the title and labels in Chinese
    # a text the catalogue lacks is drawn in English and recorded (tools/i18n.py check fails on it)
    assert (tmp_path / "misses.txt").read_text(encoding="utf-8").splitlines() == ['"stride {0}"']


def _png(width: int) -> bytes:
    return encode_png(np.full((8, width, 4), 200, np.uint8))


def test_to_chinese_swaps_pictures_and_explorers(tmp_path):
    en, zh, stray = _png(10), _png(12), _png(7)
    (tmp_path / twin_outputs.png_twin_name(en)).write_text(
        json.dumps({"png": base64.b64encode(zh).decode()}), encoding="utf-8")
    (tmp_path / twin_outputs.widget_twin_name("en-root")).write_text(json.dumps(
        {"root": "zh-root", "drop": ["en-root", "en-child"], "state": {"zh-root": {"model_name": "VBoxModel"}}}),
        encoding="utf-8")
    view = i18n.WIDGET_VIEW
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(en).decode()},
                               metadata={"image/png": {"width": 5, "height": 4}}),
        nbformat.v4.new_output("display_data", data={view: {"model_id": "en-root", "version_major": 2}}),
        nbformat.v4.new_output("display_data", data={"image/png": base64.b64encode(stray).decode()}),
    ])]
    nb.metadata["widgets"] = {i18n.WIDGET_STATE: {"state": {k: {} for k in ("en-root", "en-child", "other")}}}
    counts, problems = i18n.to_chinese(nb, tmp_path, catalogue={})
    outs = nb.cells[0].outputs
    assert base64.b64decode(outs[0].data["image/png"]) == zh
    assert outs[0].metadata["image/png"] == {"width": 6, "height": 4}  # the same scale, 12 px wide
    assert outs[1].data[view] == {"model_id": "zh-root", "version_major": 2}
    assert set(nb.metadata["widgets"][i18n.WIDGET_STATE]["state"]) == {"zh-root", "other"}
    assert counts == {"pictures": 1, "explorers": 1, "tables": 0}
    assert problems == ["cell 0: a picture without its Chinese twin"]
    assert base64.b64decode(outs[2].data["image/png"]) == stray


def test_the_stepper_is_drawn_again_in_chinese(tmp_path):
    """The sliding-window stepper is drawn with PIL, not matplotlib: its titles are translated and drawn in
    runs (Chinese in the CJK font), its cache is per language, and only the titles differ."""
    code = """
import io, json
import numpy as np
from PIL import Image
from cnnlib import figure_language as fl
fl.install(active=False)
from cnnlib.explorers import algorithms as A
english = A._cached_step(3, 1, 1, 1)[0]
with fl.speaking():
    chinese = A._cached_step(3, 1, 1, 1)[0]
again = A._cached_step(3, 1, 1, 1)[0]
a, b = (np.asarray(Image.open(io.BytesIO(p)).convert("L")).astype(int) for p in (english, chinese))
rows = np.flatnonzero((abs(a - b) > 60).any(axis=1))  # not the palette's small shifts: text drawn or not
print(json.dumps({"same": english == again, "shape": a.shape == b.shape, "rows": [int(rows.min()), int(rows.max())],
                  "top": 40 * A._S}))
"""
    import os

    env = {**os.environ, "CNNLIB_FIGURE_CATALOGUE": str(i18n.FIGURES), "CNNLIB_FIGURE_FONT": str(i18n.FIGURE_FONT),
           "CNNLIB_FIGURE_MISSES": str(tmp_path / "misses.txt")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["same"] and r["shape"]
    assert 0 < r["rows"][1] < r["top"]  # the titles changed, the tables of numbers did not (palette aside)
    assert not (tmp_path / "misses.txt").exists()


def test_tables_of_results_are_translated():
    """Headers always (a miss recorded), data cells when catalogued; numbers, names and markup kept."""
    catalogue = {"map": "图", "pointing game (±{0} px)": "指向游戏（±{0} px）", "fails": "未通过"}
    html = ("<details><summary>all 40 channels</summary><table><thead><tr><th>map</th>"
            "<th>pointing game (±2 px)</th><th>verdict</th></tr></thead><tbody><tr><td>Grad-CAM</td>"
            "<td>0.45</td><td><b>fails</b></td></tr></tbody></table></details>")
    misses = set()
    out = i18n.translate_tables(html, catalogue, misses)
    assert out == ("<details><summary>all 40 channels</summary><table><thead><tr><th>图</th>"
                   "<th>指向游戏（±2 px）</th><th>verdict</th></tr></thead><tbody><tr><td>Grad-CAM</td>"
                   "<td>0.45</td><td><b>未通过</b></td></tr></tbody></table></details>")
    assert misses == {"all {0} channels", "verdict"}  # not "Grad-CAM": a data cell
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("t", outputs=[
        nbformat.v4.new_output("execute_result", data={"text/html": html, "text/plain": "<HTML>"})])]
    counts, _ = i18n.to_chinese(nb, Path("/nonexistent"), catalogue, set())
    assert counts["tables"] == 1 and "<th>图</th>" in nb.cells[0].outputs[0].data["text/html"]


def test_every_table_of_the_book_has_its_chinese():
    """The English build's tables of results (its execution cache), headers all in the catalogue."""
    from jupyter_cache import get_cache

    if not i18n.EN_CACHE.exists():
        pytest.skip("run `make book` first")
    cache, catalogue, misses, tables = get_cache(i18n.EN_CACHE), i18n.figure_catalogue(), set(), 0
    for record in cache.list_cache_records():
        for cell in cache.get_cache_bundle(record.pk).nb.cells:
            for out in cell.get("outputs", []):
                html = "".join(out.get("data", {}).get("text/html", ""))
                if "<table" in html:
                    i18n.translate_tables(html, catalogue, misses)
                    tables += 1
    assert tables >= 8 and misses == set()
