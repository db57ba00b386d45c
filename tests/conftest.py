"""Shared fixtures. PyTorch is a test oracle only: tests that need it use the `torch` fixture and skip
cleanly when it is not installed."""

import numpy as np
import pytest


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch")
    torch.set_num_threads(2)
    return torch


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# The built-book and browser fixtures, registered here once for every test module: a session-scoped
# fixture imported into two modules would be instantiated twice (two Playwright loops in one process).
from browser_helpers import (  # noqa: E402, F401
    browser,
    browser_without_cjk_fonts,
    built_site,
    open_page,
    playwright,
    site_url,
)
