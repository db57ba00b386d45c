"""The built book as a reader sees it, in headless Chromium with the network blocked: code fits at 1280 px,
nothing scrolls sideways on a phone, the sidebar buttons open, wide formulas scroll, figures are sharp
(>= 2x pixels), every slider responds, dark mode has no light slabs, and Chinese renders on a machine
without CJK fonts. Screenshots land in _build/screenshots/."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from browser_helpers import CHAPTERS, new_page, screenshot, toc_files, wait_for_network_idle

WIDGETS_TIMEOUT = 20_000
CHAPTER_PAGES = [f"notebooks/{c}" for c in CHAPTERS]


def _all_pages():
    return list(toc_files())


def _load(browser, site_url, name, **kw):
    page = new_page(browser, **kw)
    page.goto(f"{site_url}{name}.html", wait_until="load", timeout=90_000)
    wait_for_network_idle(page)
    return page


def _wait_for_widgets(page):
    """Wait until the embedded widgets (if any) and the formulas (if any) of the page are rendered."""
    if page.locator("script[type='application/vnd.jupyter.widget-state+json']").count():
        page.locator(".cnn-explorer, .jupyter-widgets").first.wait_for(state="attached", timeout=WIDGETS_TIMEOUT)
        page.wait_for_timeout(300)
    if page.evaluate("() => !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"):
        page.evaluate("() => MathJax.startup.promise")
    page.wait_for_timeout(200)


# --------------------------------------------------------------------------- code and page width

_OVERFLOWING_CODE = """() => Array.from(document.querySelectorAll('div.cell_input pre, div.cell_output pre'))
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
    .map(p => ({width: p.clientWidth, needed: p.scrollWidth,
                line: p.innerText.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '')}))"""


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_no_code_or_printed_text_overflows_at_1280(browser, site_url, name):
    """At a 1280x800 window every input cell's code and every printed output (library source
    included) fits its box: no horizontal scrolling."""
    page = _load(browser, site_url, name, width=1280, height=800)
    total = page.locator("div.cell_input pre, div.cell_output pre").count()
    wide = page.evaluate(_OVERFLOWING_CODE)
    print(f"{name}: {len(wide)} of {total} code and text boxes overflow at 1280 px")
    page.context.close()
    assert not wide, f"{len(wide)} of {total} code and text boxes scroll sideways, e.g. " + "; ".join(
        f"{w['needed']}>{w['width']} px: {w['line'][:90]!r}" for w in wide[:5])


@pytest.mark.parametrize("name", _all_pages())
def test_no_page_scrolls_sideways_on_a_phone(browser, site_url, name):
    page = _load(browser, site_url, name, width=390, height=844, is_mobile=True)
    _wait_for_widgets(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    culprits = page.evaluate("""() => Array.from(document.querySelectorAll('article *'))
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && e.offsetParent !== null
                     && !e.closest('pre, mjx-container, .pst-scrollable-table-container, .cell_output .output'))
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + (e.innerText || '').slice(0, 60))""")
    page.context.close()
    assert width <= 390, f"{name} is {width} px wide at 390 px: {culprits}"


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_figures_keep_their_shape_on_a_phone(browser, site_url, name):
    """At 390 px a figure narrowed to the column keeps its aspect ratio (the height follows the width)."""
    page = _load(browser, site_url, name, width=390, height=844, is_mobile=True)
    _wait_for_widgets(page)
    shapes = page.evaluate("""() => Array.from(document.querySelectorAll('.bd-article img'))
        .filter(i => i.naturalWidth && i.offsetParent !== null && i.getBoundingClientRect().width > 0)
        .map(i => { const b = i.getBoundingClientRect();
                    return {shown: b.width / b.height, natural: i.naturalWidth / i.naturalHeight,
                            width: b.width, alt: (i.getAttribute('alt') || '').slice(-20)}; })""")
    page.context.close()
    assert shapes, "no figure found"
    squashed = [s for s in shapes if abs(s["shown"] / s["natural"] - 1) > 0.02]
    assert not squashed, f"{len(squashed)} of {len(shapes)} images distorted at 390 px: " + ", ".join(
        f"{s['alt']} {s['shown']:.2f} vs {s['natural']:.2f}" for s in squashed[:5])


@pytest.mark.parametrize("name", ["notebooks/01_background", "notebooks/05b_photographs",
                                  "zh/notebooks/05b_photographs"])
def test_the_overview_keeps_its_drawn_size_on_a_phone(browser, site_url, name):
    """At 390 px the whole-network overview (and its unit view) is shown at its drawn size, its labels
    legible, and scrolls sideways inside its card; the page itself does not scroll sideways."""
    page = _load(browser, site_url, name, width=390, height=844, is_mobile=True)
    _wait_for_widgets(page)
    found = page.evaluate("""() => {
        const root = document.querySelector('.cnn-overview');
        if (!root) return null;
        const imgs = [...root.querySelectorAll('.explorer-output img')].filter(i => i.naturalWidth);
        return {page: document.documentElement.scrollWidth,
                imgs: imgs.map(i => ({shown: i.getBoundingClientRect().width, drawn: i.naturalWidth / 2})),
                // the nearest box that scrolls what the picture makes overflow, inside the overview
                scrolls: imgs.map(i => { let e = i.parentElement;
                    while (e && e !== root && !(e.scrollWidth > e.clientWidth
                           && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))) e = e.parentElement;
                    return !!e && e !== root && i.getBoundingClientRect().width > root.clientWidth; })};
    }""")
    if found and found["imgs"]:
        page.locator(".cnn-overview").first.scroll_into_view_if_needed()
        screenshot(page, f"phone-overview-{name.replace('/', '-')}")
    page.context.close()
    assert found and found["imgs"], f"no overview picture on {name}"
    assert found["page"] <= 390, f"the page scrolls sideways: {found['page']} px"
    for img in found["imgs"]:
        assert abs(img["shown"] - img["drawn"]) <= 1, f"overview shown {img['shown']} px wide, drawn {img['drawn']}"
    assert all(found["scrolls"]), "each picture wider than the column should scroll sideways inside the overview"


# --------------------------------------------------------------------------- the theme's buttons


@pytest.mark.parametrize("name", ["book/preface", "notebooks/02_core_concepts"])
def test_sidebar_and_contents_buttons_open_on_a_phone(browser, site_url, name):
    page = _load(browser, site_url, name, width=390, height=844, is_mobile=True)
    assert page.locator("#pst-header").is_hidden(), "an empty second top bar"
    toggle = page.locator(".bd-header-article .primary-toggle")
    toggle.tap()
    dialog = page.locator("#pst-primary-sidebar-modal")
    dialog.wait_for(state="visible", timeout=5_000)
    assert dialog.locator("a.reference").first.is_visible(), "the navigation opened empty"
    screenshot(page, f"phone-menu-{name.replace('/', '-')}")
    page.mouse.click(385, 420)  # outside the drawer: closes it
    dialog.wait_for(state="hidden", timeout=5_000)
    secondary = page.locator(".bd-header-article .secondary-toggle")
    if secondary.count():
        secondary.tap()
        page.locator("#pst-secondary-sidebar-modal").wait_for(state="visible", timeout=5_000)
        screenshot(page, f"phone-contents-{name.replace('/', '-')}")
    page.assert_clean()
    page.context.close()


def test_sidebar_button_collapses_the_sidebar_on_a_desktop(browser, site_url):
    page = _load(browser, site_url, "notebooks/02_core_concepts", width=1280, height=800)
    sidebar = page.locator("#pst-primary-sidebar")
    assert sidebar.is_visible()
    toggle = page.locator(".bd-header-article .primary-toggle")
    toggle.click()
    sidebar.wait_for(state="hidden", timeout=5_000)
    toggle.click()
    sidebar.wait_for(state="visible", timeout=5_000)
    page.assert_clean()
    page.context.close()


# --------------------------------------------------------------------------- formulas


@pytest.mark.parametrize("name", CHAPTER_PAGES + ["book/notation"])
@pytest.mark.parametrize("width", [1280, 390])
def test_wide_formulas_scroll_instead_of_being_cut(browser, site_url, name, width):
    page = _load(browser, site_url, name, width=width, height=844)
    page.wait_for_selector("mjx-container", timeout=15_000)
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=15_000)
    page.evaluate("() => MathJax.startup.promise")
    cut = page.evaluate("""() => Array.from(document.querySelectorAll('mjx-container[display="true"]'))
        .filter(m => m.offsetParent !== null)
        .filter(m => {
            const s = getComputedStyle(m);
            const inner = m.firstElementChild ? m.firstElementChild.getBoundingClientRect().width : 0;
            const tooWide = Math.max(m.scrollWidth, inner) > m.clientWidth + 1;
            return tooWide && !['auto', 'scroll'].includes(s.overflowX);
        }).map(m => (m.getAttribute('aria-label') || m.textContent).slice(0, 80))""")
    page.context.close()
    assert not cut, f"display formulas cut off at {width} px: {cut}"


# --------------------------------------------------------------------------- figures

_IMAGES = """() => Array.from(document.querySelectorAll('div.cell_output img, .cnn-explorer img, figure img'))
    .filter(i => i.offsetParent !== null && i.clientWidth > 0 && i.complete && i.naturalWidth > 0)
    .map(i => ({natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
                explorer: !!i.closest('.cnn-explorer'), alt: i.getAttribute('alt') || ''}))"""


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_figure_images_have_twice_the_pixels_they_are_shown_at(browser, site_url, name):
    """HiDPI: every visible figure and explorer image has >= 2 image pixels per CSS pixel at 1280 px."""
    page = _load(browser, site_url, name, width=1280, height=800)
    _wait_for_widgets(page)
    images = page.evaluate(_IMAGES)
    page.context.close()
    assert images, "no figure found"
    ratios = sorted(i["natural"] / i["shown"] for i in images)
    print(f"{name}: {len(images)} images, pixel ratio min {ratios[0]:.2f}, median {ratios[len(ratios) // 2]:.2f}")
    blurry = [i for i in images if i["natural"] < 2 * i["shown"] - 1]
    assert not blurry, f"{len(blurry)} of {len(images)} images below 2x: " + ", ".join(
        f"{i['natural']}px shown at {i['shown']:.0f}px{' (explorer)' if i['explorer'] else ''}" for i in blurry[:8])


# --------------------------------------------------------------------------- every slider

_STATE = """(el) => {
    const box = el.closest('.cnn-explorer') || el.closest('.cell_output') || document.body;
    const imgs = Array.from(box.querySelectorAll('img')).filter(i => i.offsetParent !== null).map(i => i.src);
    const text = Array.from(box.querySelectorAll('.explorer-caption, .explorer-message, .widget-html, .widget-label'))
        .filter(e => e.offsetParent !== null).map(e => e.innerText).join('|');
    return imgs.join(' ') + '#' + text;
}"""


@pytest.mark.parametrize("name", CHAPTER_PAGES)
def test_every_visible_slider_responds(browser, site_url, name):
    """In the static book, moving any visible slider one step changes the picture or the text it controls."""
    page = _load(browser, site_url, name, width=1280, height=900)
    _wait_for_widgets(page)
    handles = page.locator(".widget-slider .noUi-handle:visible")
    n = handles.count()
    inert = []
    for k in range(n):
        handle = handles.nth(k)
        handle.scroll_into_view_if_needed()
        label = handle.evaluate(
            "h => (h.closest('.widget-slider').querySelector('.widget-label') || {}).innerText || ''")
        before_value = handle.get_attribute("aria-valuenow")
        at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
        before = handle.evaluate(_STATE)
        handle.focus()
        page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
        try:
            page.wait_for_function("([h, v]) => h.getAttribute('aria-valuenow') !== v",
                                   arg=[handle.element_handle(), before_value], timeout=3_000)
            page.wait_for_function(f"([h, s]) => ({_STATE})(h) !== s", arg=[handle.element_handle(), before],
                                   timeout=5_000)
        except Exception:
            inert.append(f"slider {k} ({label!r}, value {before_value})")
    page.assert_clean()
    page.context.close()
    print(f"{name}: {n} sliders, {n - len(inert)} respond")
    assert not inert, f"sliders that change nothing: {inert}"


# --------------------------------------------------------------------------- dark mode

_LIGHT_SLABS = """() => Array.from(document.querySelectorAll('article div, article table, article section'))
    .filter(e => e.offsetParent !== null)
    .filter(e => e.getBoundingClientRect().width > 200 && e.getBoundingClientRect().height > 60)
    .filter(e => !e.closest('figure') && e.tagName !== 'IMG')
    .filter(e => {
        const m = getComputedStyle(e).backgroundColor.match(/rgba?\\(([\\d.]+), ([\\d.]+), ([\\d.]+)(?:, ([\\d.]+))?/);
        if (!m || (m[4] !== undefined && +m[4] < 0.5)) return false;
        return 0.2126 * m[1] + 0.7152 * m[2] + 0.0722 * m[3] > 160;   // a light background
    })
    .map(e => e.tagName + '.' + e.className.toString().slice(0, 60))"""


@pytest.mark.parametrize("name", CHAPTER_PAGES + ["book/glossary"])
def test_dark_mode_has_no_light_slabs(browser, site_url, name):
    """In dark mode only figures (images, on their own light card) may be light; no box around them is."""
    page = _load(browser, site_url, name, width=1280, height=800, color_scheme="dark")
    _wait_for_widgets(page)
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    slabs = page.evaluate(_LIGHT_SLABS)
    filters = page.evaluate("""() => [...new Set(Array.from(document.querySelectorAll('.cell_output img'))
        .filter(i => i.offsetParent !== null).map(i => getComputedStyle(i).filter))]""")
    page.context.close()
    assert not slabs, f"light boxes in dark mode: {sorted(set(slabs))[:8]}"
    # figures are dimmed, not given more contrast (which clips their colour maps)
    assert all(f == "brightness(0.88)" for f in filters), filters


# --------------------------------------------------------------------------- Chinese without CJK fonts

_GLYPHS = """([text, family]) => {
    const c = document.createElement('canvas');
    c.width = 160; c.height = 64;
    const g = c.getContext('2d');
    g.fillStyle = '#fff'; g.fillRect(0, 0, 160, 64);
    g.fillStyle = '#000'; g.font = `48px ${family}`; g.textBaseline = 'top';
    g.fillText(text, 4, 4);
    return Array.from(g.getImageData(0, 0, 160, 64).data.filter((_, i) => i % 4 === 0));
}"""


def _no_cjk_fonts_visible(browser):
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return True
    env = {"FONTCONFIG_FILE": str(browser.fontconfig_file)}
    out = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, env=env).stdout
    return not out.strip()


def test_chinese_renders_without_cjk_fonts(browser_without_cjk_fonts, site_url):
    """On a machine whose only fonts are DejaVu, the glossary's Chinese is drawn with the site's own font:
    the glyphs differ from the tofu the same text gives in a font stack without it."""
    browser = browser_without_cjk_fonts
    assert _no_cjk_fonts_visible(browser), "the test browser still sees a system CJK font"
    page = _load(browser, site_url, "book/glossary", width=1280, height=800)
    cell = page.locator("article td span[lang='zh-Hans']").first
    cell.wait_for(timeout=10_000)
    page.evaluate("() => document.fonts.ready")
    family = cell.evaluate("e => getComputedStyle(e).fontFamily")
    assert family.startswith('"Book CJK"'), family
    loaded = page.evaluate("""() => Array.from(document.fonts)
        .filter(f => f.family.replace(/"/g, '') === 'Book CJK').map(f => f.status)""")
    assert "loaded" in loaded, f"the web font was not loaded: {loaded}"
    text = "卷积"
    with_font = page.evaluate(_GLYPHS, [text, '"Book CJK", "DejaVu Sans"'])
    without = page.evaluate(_GLYPHS, [text, '"DejaVu Sans"'])
    other = page.evaluate(_GLYPHS, ["池化", '"Book CJK", "DejaVu Sans"'])
    ink = sum(v < 128 for v in with_font)
    assert with_font != without, "卷积 looks like the tofu of a font without CJK glyphs"
    assert with_font != other, "different characters drew the same shapes (tofu)"
    assert ink > 200, "卷积 drew almost nothing"
    cell.scroll_into_view_if_needed()
    screenshot(page, "glossary-no-system-cjk-font", "article table")
    page.assert_clean()
    page.context.close()
