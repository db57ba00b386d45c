"""One static explorer per chapter, driven in the built book with the network blocked and no kernel:
moving a control must switch what is shown. Screenshots land in _build/screenshots/."""

from __future__ import annotations

import re
import time

import pytest
from browser_helpers import (  # fixtures (browser, built_site, open_page, site_url) come from conftest.py
    explorer_state,
    find_explorer,
    move_slider,
    screenshot,
)

# (chapter page, controls that identify the explorer, the control to change: a slider name, or
# "name=label" to click the button of that label)
CASES = [
    ("01_background", ("digit",), "digit"),
    ("02_core_concepts", ("mode", "size", "stride"), "stride"),
    ("02_core_concepts", ("surface", "lr"), "lr"),
    ("03_algorithms", ("preset", "position"), "position"),
    ("04_implementation", ("optimizer", "lr", "batch_size"), "lr"),
    ("05_interpretability", ("image", "method", "target"), "image=cross"),
    ("06_beyond_images", ("kernel", "position"), "position"),
    ("07_questions", ("layers", "kernel", "dilation"), "layers"),
]


def _images(page, index):
    return explorer_state(page, index)[1]


def _drive(page, chapter, controls, change, shot, translate=lambda text: text):
    i = find_explorer(page, *controls)
    explorer = page.locator(".cnn-explorer").nth(i)
    explorer.locator("img:visible").first.wait_for(timeout=20_000)
    explorer.scroll_into_view_if_needed()
    before = _images(page, i)
    assert before, "the explorer shows no image"
    name, _, label = change.partition("=")
    if label:
        explorer.locator(f".explorer-control-{name}").get_by_role("button", name=translate(label), exact=True).click()
    else:
        move_slider(page, name, index=i)
    deadline = time.monotonic() + 15
    while _images(page, i) == before:
        assert time.monotonic() < deadline, f"changing {change!r} did not change the picture"
        page.wait_for_timeout(100)
    screenshot(page, shot, f".cnn-explorer >> nth={i}")
    return explorer


@pytest.mark.parametrize("chapter, controls, change", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_static_explorer_responds(open_page, chapter, controls, change):
    page = open_page(f"notebooks/{chapter}.html")
    _drive(page, chapter, controls, change, f"{chapter}-{change.partition('=')[0]}-changed")
    page.assert_clean()


@pytest.mark.parametrize("chapter, controls, change", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_static_explorer_responds_in_the_chinese_edition(open_page, built_site, chapter, controls, change):
    """The same explorers on the Chinese pages: labelled in Chinese (cnnlib.translations), and they respond."""
    from cnnlib.translations import ZH

    if not (built_site / "zh" / "notebooks" / f"{chapter}.html").exists():
        pytest.skip("no Chinese edition built (make book builds it)")
    page = open_page(f"zh/notebooks/{chapter}.html")
    explorer = _drive(page, chapter, controls, change, f"zh-{chapter}-{change.partition('=')[0]}-changed",
                      translate=lambda text: ZH.get(text, text))
    labels = explorer.locator(".widget-label, .explorer-label, label").all_inner_texts()
    assert any(re.search(r"[\u4e00-\u9fff]", t) for t in labels), labels
    page.assert_clean()
