# The two commands: `make book` and `make test`. Both create .venv and install everything on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

TEST_STAMP := $(VENV)/.installed-test
PINS_VENV  := .venv-browserpins

# Same numbers on every x86-64 machine of this project's kind: the chapters' trained networks came out one
# test image apart on an AVX-512 and an AVX2 machine. Two causes, both pinned here: numpy takes its AVX-512
# (X86_V4) code paths where the CPU has them, and OpenBLAS picks its kernel by CPU (SkylakeX on an AVX-512
# AMD EPYC, Haswell on an AVX2 one; they sum in different orders). The book, its checks and the tests run
# numpy's AVX2 paths and OpenBLAS's Haswell kernel everywhere (any x86-64 CPU with AVX2); checked on both
# kinds: the shapes CNN's held-out accuracy is 0.994 with SkylakeX, 0.992 with Haswell on either machine.
# `make bench-native` measures with both unset.
export OPENBLAS_CORETYPE := Haswell
export NPY_DISABLE_CPU_FEATURES := X86_V4 AVX512_ICL AVX512_SPR

.PHONY: bench-native venv test-venv check cjk-font book lite test test-browserpins lite-full lite-bench lint unit notebooks \
	booktests browser \
	bench lab voila clean vendor i18n-extract book-zh i18n-check book-from-scratch

venv: $(STAMP)

$(STAMP): requirements.txt requirements-lite.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (or make PYTHON=python3.x)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements.txt -r requirements-lite.txt
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# What the tests need beyond the book: the PyTorch oracle (requirements-test.txt).
test-venv: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.txt
	$(BIN)/pip install -q -r requirements-test.txt
	touch $(TEST_STAMP)

# What a fresh machine needs besides Python and make (the README's prerequisites); says what is missing.
check:
	@missing=0; \
	command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 (or make PYTHON=python3.x)"; missing=1; }; \
	command -v npm >/dev/null || { echo "npm not found (vendoring MathJax, the widget manager, Pyodide): apt-get install npm"; missing=1; }; \
	[ -x "$${CHROMIUM:-/usr/bin/chromium}" ] || { echo "chromium not found (browser tests): apt-get install chromium"; missing=1; }; \
	[ $$missing -eq 0 ] && echo "check: python, npm and chromium found" || exit 1

lint: venv
	$(BIN)/ruff check .

# Unit tests of cnnlib (torch oracle tests skip without torch).
unit: test-venv
	$(BIN)/pytest tests

# The book is built first: tests/test_book.py and tests/test_browser.py check the built site.
# test-browserpins: the unit tests again on the browser's numpy 2.0 / matplotlib 3.8 (Pyodide 0.27.7).
test: check test-venv lint i18n-check book unit notebooks test-browserpins

bench: venv
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_explorers.py

# The same, with numpy's BLAS free to pick its best CPU kernel (see bench/bench_core.py).
bench-native: venv
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE -u NPY_DISABLE_CPU_FEATURES $(BIN)/python bench/bench_core.py

# Pinned MathJax, require.js and the ipywidgets HTML manager, from the npm registry, into book/_vendor.
vendor: venv
	$(BIN)/python tools/vendor.py

# Executes every notebook (cached in _build/.jupyter_cache: an unchanged notebook is not re-run) with
# explorers in static mode, two at a time with one BLAS thread each (tools/execute.py), then builds _build/html
# with warnings as errors.
# The execution cache only sees the notebooks: it is dropped when cnnlib's source changes, so a page
# never shows outputs of an older library.
CNNLIB_HASH := $(shell cat cnnlib/*.py cnnlib/*/*.py | sha256sum | cut -c1-16)

# The book's own CJK web font (tools/cjk_font.py): regenerated when fonts-noto-cjk is installed, else the
# committed subset is checked (and a stale one reported; tests/test_book.py fails on it).
cjk-font: venv
	$(BIN)/python tools/cjk_font.py --if-font

# The English edition, then the Chinese one (book-zh, below). Every chapter executes once: the English build's
# kernels also draw each picture and static explorer in Chinese (cnnlib.twin_outputs, into _build/zh-twins),
# and book-zh builds from a copy of the English cache with those twins swapped in. So the English cache also
# depends on the figures' catalogue and CJK font: a change re-runs the chapters (and forgets the figure texts
# the last run found untranslated).
# (A shell command, not a make variable: cjk-font may rewrite the font after the Makefile is read.)
BOOK_HASH = $$( (echo $(CNNLIB_HASH); cat locale/zh_CN/figures.json locale/zh_CN/figures-cjk.otf 2>/dev/null) \
	| sha256sum | cut -c1-16)

book: venv vendor cjk-font
	@hash=$(BOOK_HASH); if [ "$$(cat _build/.cnnlib-hash 2>/dev/null)" != "$$hash" ]; then \
		rm -rf _build/.jupyter_cache _build/zh-twins _build/zh-figure-text-missing.txt; fi
	@start=$$(date +%s); twins=$$($(BIN)/python tools/i18n.py twin-env) || exit 1; \
	env $$twins CNNLIB_EXPLORER_MODE=static $(BIN)/python tools/execute.py notebooks/*.ipynb || exit 1; \
	env $$twins CNNLIB_EXPLORER_MODE=static \
		$(BIN)/jupyter-book build . --all -W --keep-going --builder html || exit 1; \
	echo "book: the English edition in $$(( $$(date +%s) - start )) s"
	@echo $(BOOK_HASH) > _build/.cnnlib-hash
	$(MAKE) --no-print-directory book-zh
	$(BIN)/python tools/lite.py

# `make book` as a fresh machine without the shipped weights would run it: no execution cache, an empty weights
# cache (in _build) and the shipped weights ignored (CNNLIB_SHIPPED_WEIGHTS=ignore, see cnnlib.models.shipped_weights),
# so every network the book shows is trained during the build. Prints the whole time (issue 12: under 8 minutes).
book-from-scratch: venv vendor cjk-font
	rm -rf _build/.jupyter_cache _build/zh-twins _build/.cnnlib-hash _build/weights-from-scratch
	@start=$$(date +%s); \
	CNNLIB_SHIPPED_WEIGHTS=ignore CNNLIB_CACHE_DIR=$(CURDIR)/_build/weights-from-scratch \
		$(MAKE) --no-print-directory book || exit 1; \
	echo "book-from-scratch: the whole book in $$(( $$(date +%s) - start )) s"

# The Chinese edition (tools/i18n.py, issue 14). i18n-extract: the English sources' messages into
# locale/zh_CN/LC_MESSAGES/*.po (a changed paragraph becomes fuzzy); book-zh: _build/html/zh beside the English
# site, from the English execution cache with its outputs' Chinese twins (a notebook not in it is executed
# with the same translation installed); i18n-check: fails on an untranslated or fuzzy message or a glossary
# term translated another way.
i18n-extract: venv
	$(BIN)/python tools/i18n.py extract

book-zh: venv
	@start=$$(date +%s); \
	CNNLIB_EXPLORER_MODE=static $(BIN)/python tools/i18n.py build-zh --strict || exit 1; \
	echo "book-zh: the Chinese edition in $$(( $$(date +%s) - start )) s"

i18n-check: venv
	$(BIN)/python tools/i18n.py check

# Only the live site (_build/html/lite: JupyterLite, Pyodide, the chapters, a cnnlib wheel); needs the book.
lite: venv
	$(BIN)/python tools/lite.py

# Every cell of chapter 2 (or CHAPTERS=01_background,02_core_concepts) in the browser kernel, timed.
lite-full: test-venv
	CNNLIB_LITE_FULL=$${CHAPTERS:-02_core_concepts} $(BIN)/pytest -s tests/test_lite.py -k top_to_bottom

lite-bench: test-venv
	CNNLIB_LITE_BENCH=1 $(BIN)/pytest -s tests/test_lite.py -k explorer_update_times

# cnnlib's unit tests on the browser's versions (requirements-browserpins.txt), in a venv of their own;
# cnnlib comes from the checkout (PYTHONPATH). No torch there: the oracle tests skip, the main run has them.
# Not the build's own machinery (the book, its execution, the wheel, the Chinese edition and its twins: CPython
# only).
PINS_TESTS := $(filter-out tests/test_book.py tests/test_browser%.py tests/test_notebooks.py tests/test_lite%.py \
	tests/test_wheel.py tests/test_i18n.py tests/test_twin_outputs.py tests/test_execute.py,$(wildcard tests/test_*.py))

test-browserpins: $(PINS_VENV)/.installed
	env -u NPY_DISABLE_CPU_FEATURES PYTHONPATH=$(CURDIR) $(PINS_VENV)/bin/python -m pytest -q -p no:cacheprovider $(PINS_TESTS)

$(PINS_VENV)/.installed: requirements-browserpins.txt
	test -x $(PINS_VENV)/bin/python || $(PYTHON) -m venv $(PINS_VENV)
	$(PINS_VENV)/bin/pip install -q -r requirements-browserpins.txt
	touch $@

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
	rm -rf _build .jupyter_cache book/_vendor $(PINS_VENV)
	find locale -name "*.mo" -delete
