# The two commands: `make book` and `make test`. Both create .venv and install everything on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: bench-native venv cjk-font book test lint unit notebooks booktests browser bench lab voila clean vendor

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

lint: venv
	$(BIN)/ruff check .

# Unit tests of cnnlib (torch oracle tests skip without torch).
unit: venv
	$(BIN)/pytest tests

# The book is built first: tests/test_book.py and tests/test_browser.py check the built site.
test: venv lint book unit notebooks

bench: venv
	$(BIN)/python bench/bench_core.py

# The same, with numpy's BLAS free to pick its best CPU kernel (see bench/bench_core.py).
bench-native: venv
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(BIN)/python bench/bench_core.py

# Pinned MathJax, require.js and the ipywidgets HTML manager, from the npm registry, into book/_vendor.
vendor: venv
	$(BIN)/python tools/vendor.py

# Executes every notebook (cached in _build/.jupyter_cache: an unchanged notebook is not re-run) with
# explorers in static mode, then builds _build/html with warnings as errors.
# The execution cache only sees the notebooks: it is dropped when cnnlib's source changes, so a page
# never shows outputs of an older library.
CNNLIB_HASH := $(shell cat cnnlib/*.py cnnlib/*/*.py | sha256sum | cut -c1-16)

# The book's own CJK web font (tools/cjk_font.py): regenerated when fonts-noto-cjk is installed, else the
# committed subset is checked (and a stale one reported; tests/test_book.py fails on it).
cjk-font: venv
	$(BIN)/python tools/cjk_font.py --if-font

book: venv vendor cjk-font
	@if [ "$$(cat _build/.cnnlib-hash 2>/dev/null)" != "$(CNNLIB_HASH)" ]; then rm -rf _build/.jupyter_cache; fi
	CNNLIB_EXPLORER_MODE=static $(BIN)/jupyter-book build . --all -W --keep-going --builder html
	@echo "$(CNNLIB_HASH)" > _build/.cnnlib-hash

# Every notebook in a fresh kernel (live explorers); numbers that matter are asserted in remove-cell cells.
notebooks: venv
	$(BIN)/pytest --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

# Only the tests of the built book and the real browser (needs `make book` first).
booktests: venv
	$(BIN)/pytest tests/test_book.py tests/test_notebooks.py

browser: venv
	$(BIN)/pytest tests/test_browser.py

# JupyterLab refuses to run as root unless told; containers and CI machines often are root.
lab: venv
	$(BIN)/jupyter lab notebooks $$([ "$$(id -u)" -eq 0 ] && echo --allow-root)

# The chapters as live apps (explorers re-render with a kernel): http://127.0.0.1:8866/
voila: venv
	$(BIN)/voila notebooks --Voila.ip=127.0.0.1 --no-browser

clean:
	rm -rf _build .jupyter_cache book/_vendor
