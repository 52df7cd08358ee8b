# Two commands set everything up on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_WS ?= $(CURDIR)/.demo-workspace

.PHONY: venv run test bench lint catalogs clean demo

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m i18n.build
	touch $(STAMP)

catalogs: venv
	$(BIN)/python -m i18n.build

# Re-extract every _()/N_()/ngettext string into i18n/locale/accord.pot and merge it into each
# language's .po (empty msgstr = to translate); then `make catalogs` compiles them.
.PHONY: i18n-extract
i18n-extract: venv
	$(BIN)/python -m i18n.extract

demo: venv
	test -f $(DEMO_WS)/workspace.accord || \
		ACCORD_PASSPHRASE=accord-demo $(BIN)/accord --workspace $(DEMO_WS) demo

run: demo
	$(BIN)/accord --workspace $(DEMO_WS)

test: venv
	$(BIN)/python -m i18n.build
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The PostgreSQL figures (queue on both backends, a team of twenty) exit 2 with a message
# when PostgreSQL's server binaries are missing.
bench: venv
	$(BIN)/python bench/queue.py
	$(BIN)/python bench/queue.py --backend postgres
	$(BIN)/python bench/team.py
	@for b in bench/import.py; do test -f $$b && $(BIN)/python $$b || true; done

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .demo-workspace bench/out
