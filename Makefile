# The two commands: `make book` and `make test`. Both create .venv and install everything on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv book test lint unit notebooks booktests browser bench lab clean vendor

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

test: venv lint unit

bench: venv
	$(BIN)/python bench/bench_core.py

book: venv
	@echo "book: nothing to build yet"

lab: venv
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf _build .jupyter_cache
