"""Helpers and fixtures for tests that open the built book (or a Voilà app) in a real browser.

Headless Chromium comes from Debian's ``chromium`` package (``/usr/bin/chromium``; ``.ci/run`` installs
it) and is driven by Playwright's Python package (never ``playwright install``). Every request to
another host is blocked and recorded, so a page that needs the network fails its test.

A chapter test in a few lines (``tests/test_browser.py`` has the real ones)::

    from browser_helpers import *  # noqa: F403  (fixtures: built_site, site_url, browser, open_page)

    def test_pooling_explorer(open_page):
        page = open_page("notebooks/02_core_concepts.html")
        before = explorer_state(page)
        move_slider(page, "size")            # the control named "size" in the Explorer declaration
        assert explorer_state(page) != before
        screenshot(page, "ch02-pooling")     # kept in _build/screenshots/ for a person to look at
        page.assert_clean()                  # no page errors, no request to another host

Explorer controls carry the CSS class ``explorer-control-<name>`` (see :mod:`cnnlib.widgets`).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = ("data", "blob", "file", "about")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# Harmless console errors: the theme's first-visit message; Voilà's template asks a CDN for Font Awesome.
IGNORED_CONSOLE = (re.compile(r"invalid theme mode"),)

__all__ = [
    "CHAPTERS",
    "toc_files",
    "CHROMIUM",
    "SITE",
    "SCREENSHOTS",
    "built_site",
    "site_url",
    "browser",
    "browser_without_cjk_fonts",
    "playwright",
    "open_page",
    "new_page",
    "serve_directory",
    "move_slider",
    "slider_value",
    "explorer_state",
    "explorer_caption",
    "find_explorer",
    "wait_for_change",
    "wait_for_math",
    "wait_for_network_idle",
    "screenshot",
    "free_port",
    "wait_for_port",
]


# --------------------------------------------------------------------------- the book's layout

#: The chapter notebooks, in the article's order (notebooks/<name>.ipynb, built to notebooks/<name>.html);
#: 05b_photographs is a section page of chapter 5, held to the same rules as a chapter.
CHAPTERS = [
    "01_background",
    "02_core_concepts",
    "03_algorithms",
    "04_implementation",
    "05_interpretability",
    "05b_photographs",
    "06_beyond_images",
    "07_questions",
]


def toc_files() -> list[str]:
    """Every file of ``_toc.yml`` (without suffix), in order: the root, then each chapter and section."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for ch in part.get("chapters", []):
            files.append(ch["file"])
            files.extend(s["file"] for s in ch.get("sections", []))
    return files


# --------------------------------------------------------------------------- the built site


def build_book() -> None:
    """Run ``make book`` (cached execution: fast when nothing changed)."""
    subprocess.run(["make", "book"], cwd=ROOT, check=True)


@pytest.fixture(scope="session")
def built_site() -> Path:
    """The built HTML folder; builds the book first if it is missing (``make test`` builds it anyway)."""
    if not (SITE / "index.html").exists():
        build_book()
    return SITE


@contextlib.contextmanager
def serve_directory(path: Path):
    """Serve ``path`` over HTTP on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output readable
        pass


@pytest.fixture(scope="session")
def site_url(built_site):
    """Base URL of the built site, served on 127.0.0.1 for the whole session."""
    with serve_directory(built_site) as url:
        yield url


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def playwright(tmp_path_factory):
    """The session's one Playwright driver (skips if Chromium or Playwright is missing)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Chromium writes crash reports and settings under the config folder: keep them in the run's tmp.
    os.environ.setdefault("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    """A headless Debian Chromium driven by Playwright (skips if either is missing)."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


#: A fontconfig setup that sees only the DejaVu fonts: a machine without any CJK font.
NO_CJK_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
  <config></config>
</fontconfig>
"""
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@pytest.fixture(scope="session")
def browser_without_cjk_fonts(playwright, tmp_path_factory):
    """A second Chromium whose fontconfig hides every system font but DejaVu (so no CJK font at all)."""
    if not DEJAVU.is_dir():
        pytest.skip(f"{DEJAVU} not found (fonts-dejavu-core)")
    folder = tmp_path_factory.mktemp("fontconfig")
    config = folder / "fonts.conf"
    config.write_text(NO_CJK_FONTCONFIG.format(fonts=DEJAVU, cache=folder / "cache"))
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "FONTCONFIG_PATH": str(folder)}
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, env=env)
    b.fontconfig_file = config
    yield b
    b.close()


def new_page(browser, width: int = 1200, height: int = 900, ignore_hosts: tuple[str, ...] = (),
             color_scheme: str | None = None, is_mobile: bool = False):
    """A page with every request to another host blocked and recorded.

    The page gains ``page.external_requests`` (blocked URLs), ``page.errors`` (uncaught exceptions),
    ``page.console_errors``, ``page.missing`` (HTTP errors) and ``page.assert_clean()``; requests to
    ``ignore_hosts`` are blocked but not recorded (Voilà's template asks a CDN for Font Awesome).
    ``color_scheme="dark"`` emulates a reader's dark system setting; ``is_mobile`` a phone (touch, DPR 2).
    """
    options = {"viewport": {"width": width, "height": height}}
    if color_scheme:
        options["color_scheme"] = color_scheme  # "dark": the theme's "auto" mode follows it
    if is_mobile:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    page = context.new_page()
    page.external_requests = []
    page.errors = []
    page.console_errors = []

    def route(r):
        url = urlparse(r.request.url)
        if url.scheme in LOCAL_SCHEMES or url.hostname in LOCAL_HOSTS:
            return r.continue_()
        if url.hostname not in ignore_hosts:
            page.external_requests.append(r.request.url)
        return r.abort()

    page.route("**/*", route)
    page.missing = []
    page.in_flight = {}  # request -> URL, for a timeout's message
    page.on("request", lambda r: page.in_flight.__setitem__(r, r.url))
    page.on("requestfinished", lambda r: page.in_flight.pop(r, None))
    page.on("requestfailed", lambda r: page.in_flight.pop(r, None))
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 400 and page.missing.append(f"{r.status} {r.url}"))

    def on_console(msg):
        if msg.type == "error" and not any(p.search(msg.text) for p in IGNORED_CONSOLE):
            page.console_errors.append(msg.text)

    page.on("console", on_console)

    def assert_clean(allow_console_errors: bool = False):
        assert not page.external_requests, f"requests to other hosts: {page.external_requests}"
        assert not page.errors, f"uncaught errors in the page: {page.errors}"
        assert not page.missing, f"missing files: {page.missing}"
        if not allow_console_errors:
            assert not page.console_errors, f"console errors: {page.console_errors}"

    page.assert_clean = assert_clean
    return page


@pytest.fixture
def open_page(browser, site_url):
    """``open_page("notebooks/02_core_concepts.html")``: a blocked-network page of the built site, loaded."""
    pages = []

    def _open(relative: str, **kw):
        page = new_page(browser, **kw)
        pages.append(page)
        page.goto(site_url + relative, wait_until="load", timeout=90_000)
        return page

    yield _open
    for page in pages:
        page.context.close()


# --------------------------------------------------------------------------- driving explorers


def _control(page, name: str, index: int = 0):
    return page.locator(".cnn-explorer").nth(index).locator(f".explorer-control-{name}").first


def slider_value(page, name: str, index: int = 0) -> int:
    """The position (option index) of the slider ``name`` of explorer ``index``, from ``aria-valuenow``."""
    handle = _control(page, name, index).locator(".noUi-handle").first
    return int(float(handle.get_attribute("aria-valuenow")))


def move_slider(page, name: str, steps: int = 1, index: int = 0, timeout: float = 10_000) -> None:
    """Move the slider of control ``name`` of explorer ``index`` (0: the first on the page) by ``steps``.

    Uses the keyboard (arrows) on the handle, as a reader could; works for static (built page) and live
    (Voilà, JupyterLab) explorers; waits until the handle moved.
    """
    handle = _control(page, name, index).locator(".noUi-handle").first
    handle.wait_for(state="visible", timeout=timeout)
    before = handle.get_attribute("aria-valuenow")
    handle.focus()
    key = "ArrowRight" if steps > 0 else "ArrowLeft"
    for _ in range(abs(steps)):
        page.keyboard.press(key)
    page.wait_for_function(
        "([el, v]) => el.getAttribute('aria-valuenow') !== v",
        arg=[handle.element_handle(), before],
        timeout=timeout,
    )


def find_explorer(page, *controls: str, timeout: float = 20_000) -> int:
    """Index of the first explorer on the page that has all the named controls (e.g. "kernel", "stride")."""
    selector = ".cnn-explorer" + "".join(f":has(.explorer-control-{c})" for c in controls)
    page.locator(selector).first.wait_for(state="attached", timeout=timeout)
    return page.evaluate(
        "([all, sel]) => Array.from(document.querySelectorAll(all)).indexOf(document.querySelector(sel))",
        [".cnn-explorer", selector],
    )


def explorer_caption(page, index: int = 0) -> str:
    """The visible caption text of explorer ``index`` (shape, formula), '' if none."""
    captions = page.locator(".cnn-explorer").nth(index).locator(".explorer-caption:visible, .explorer-message:visible")
    return "\n".join(captions.all_inner_texts())


def explorer_state(page, index: int = 0) -> tuple[str, tuple[str, ...]]:
    """(visible caption text, sources of the visible images) of explorer ``index``: compare before/after."""
    explorer = page.locator(".cnn-explorer").nth(index)
    srcs = tuple(img.get_attribute("src") or "" for img in explorer.locator("img:visible").all())
    return explorer_caption(page, index), srcs


def wait_for_change(page, before, index: int = 0, timeout: float = 15.0):
    """Poll :func:`explorer_state` until it differs from ``before``; returns the new state."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        state = explorer_state(page, index)
        if state != before and state[0]:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"explorer {index} did not change within {timeout} s: still {state}")
        page.wait_for_timeout(100)


def wait_for_network_idle(page, timeout: float = 90_000, quiet: float = 500) -> None:
    """Wait until no request of the page has been in flight for ``quiet`` ms; on timeout, name the pending ones.

    Counted from the page's own request events (``new_page`` tracks them), not Playwright's "networkidle"
    state: on chapter 3 that state once never came in CI although nothing was pending (30 s, then 90 s).
    """
    import time

    deadline = time.monotonic() + timeout / 1000
    idle_since = None
    while True:
        now = time.monotonic()
        if page.in_flight:
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif (now - idle_since) * 1000 >= quiet:
            return
        if now > deadline:
            pending = sorted(set(page.in_flight.values()))
            raise AssertionError(f"network not idle after {timeout / 1000:.0f} s; pending: {pending[:20]}")
        page.wait_for_timeout(50)  # lets Playwright deliver the page's events


def wait_for_math(page, timeout: float = 15_000) -> int:
    """Wait until MathJax has typeset at least one formula; returns how many ``mjx-container`` there are."""
    page.wait_for_selector("mjx-container", timeout=timeout)
    return page.locator("mjx-container").count()


def screenshot(page, name: str, selector: str | None = None) -> Path:
    """Save a screenshot (of ``selector`` if given, else the full page) to ``_build/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if selector:
        page.locator(selector).first.screenshot(path=str(path))
    else:
        # from the top, with nothing focused: sticky headers and the skip link would otherwise smear
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
        page.screenshot(path=str(path), full_page=True)
    return path


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until something listens on 127.0.0.1:``port`` (fail early if ``proc`` exits)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listened on 127.0.0.1:{port} within {timeout:.0f} s")


def which_in_venv(name: str) -> str:
    """The path of a console script of the running interpreter's venv (e.g. ``voila``)."""
    import sys

    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else (shutil.which(name) or name)
