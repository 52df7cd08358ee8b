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

# Every benchmark, each printing its figures with their targets (bench/out/*.json). One that
# lacks what it needs (shared data, PostgreSQL binaries) says so and exits 2: reported, and the
# others still run; any other failure fails the target at the end.
BENCHES := "bench/cli.py" "bench/queue.py" "bench/queue.py --backend postgres" \
	"bench/dashboard.py" "bench/import.py" "bench/team.py"

bench: venv
	@failed=0; for b in $(BENCHES); do \
		set -- $$b; test -f $$1 || continue; \
		echo "== $$b"; $(BIN)/python $$b; rc=$$?; \
		if [ $$rc -eq 2 ]; then echo "== $$b skipped: it lacks what it needs (above)"; \
		elif [ $$rc -ne 0 ]; then echo "== $$b failed ($$rc)"; failed=1; fi; \
	done; exit $$failed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .demo-workspace bench/out
