# Two commands: `make run` serves the app on http://localhost:8501; `make test` runs the whole suite.
# `make test-fast` is the inner loop: unit, contract and page tests without the slow ones (no lint, no browser).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.test-installed
PORT ?= 8501
# Loopback unless asked; any other address needs WORKBENCH_PASSWORD_HASH or OIDC (checked by check-serve).
WORKBENCH_ADDRESS := $(or $(WORKBENCH_ADDRESS),127.0.0.1)
# Python caches compiled modules (__pycache__, ignored by git): with PYTHONDONTWRITEBYTECODE set, as on machines like
# this one, every process compiles every module it imports again (streamlit, moto, pandas and sklearn: 8.0 s to
# import instead of 3.3 s), and the app, the suite and each job, server and test process start that much slower.
unexport PYTHONDONTWRITEBYTECODE
# pytest-xdist workers; each test module stays on one worker (tests/conftest.py groups them). 0 = no workers.
TEST_WORKERS ?= 2

.PHONY: run test test-fast lint bench seed chromium clean

$(INSTALLED): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -r requirements.txt
	touch $@

$(TEST_INSTALLED): $(INSTALLED) requirements-test.txt
	$(PY) -m pip install --quiet --no-compile -r requirements-test.txt
	touch $@

run: $(INSTALLED)
	$(PY) -m services check-serve --address '$(WORKBENCH_ADDRESS)' >/dev/null
	@# The tables now (seconds); the full demo's models and endpoint are built in the app's background (Home shows it).
	$(PY) -m services seed --demo $(if $(filter none,$(WORKBENCH_DEMO)),none,data)
	$(VENV)/bin/streamlit run app.py --server.address '$(WORKBENCH_ADDRESS)' --server.port $(PORT) --server.headless true --browser.gatherUsageStats false --client.toolbarMode minimal

# Everything WORKBENCH_DEMO asks for (default full: tables, models, bias report, endpoint reviews-demo), in the foreground.
seed: $(INSTALLED)
	$(PY) -m services seed

# Browser tests drive Debian's chromium; Playwright's own browser download cannot work offline.
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

RUFF := $(PY) -m ruff check services app.py pages components tests
MYPY := $(PY) -m mypy services

lint: $(TEST_INSTALLED)
	$(RUFF)
	$(MYPY)

# ruff first (a second); mypy (one core for ~25 s) runs beside the suite, which leaves about a fifth of the two
# cores idle, and its report follows the suite's. Either failing fails the target.
test: $(TEST_INSTALLED) chromium
	$(RUFF)
	@$(MYPY) > $(VENV)/mypy.log 2>&1 & types=$$!; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup; suite=$$?; \
	wait $$types; typed=$$?; echo "$(MYPY)"; cat $(VENV)/mypy.log; \
	exit $$(( suite != 0 || typed != 0 ))

test-fast: $(TEST_INSTALLED)
	$(PY) -m pytest tests/unit tests/contract tests/pages -m 'not slow and not browser' -n $(TEST_WORKERS) --dist loadgroup

bench: $(TEST_INSTALLED)
	$(PY) tests/benchmarks/bench_query.py
	$(PY) tests/benchmarks/bench_crawl.py
	$(PY) tests/benchmarks/bench_text_sentiment.py
	$(PY) tests/benchmarks/bench_minilm.py
	$(PY) tests/benchmarks/bench_autopilot.py
	$(PY) tests/benchmarks/bench_compare.py
	$(PY) tests/benchmarks/bench_bias.py
	$(PY) tests/benchmarks/bench_shap.py
	$(PY) tests/benchmarks/bench_endpoint.py
	$(PY) tests/benchmarks/bench_download.py
	$(PY) tests/benchmarks/bench_pipeline.py
	$(PY) tests/benchmarks/bench_pipelines_page.py
	$(PY) tests/benchmarks/bench_features.py
	$(PY) tests/benchmarks/bench_feature_join.py
	$(PY) tests/benchmarks/bench_features_gateway.py
	$(PY) tests/benchmarks/bench_quality.py
	$(PY) tests/benchmarks/bench_model_quality.py

clean:
	rm -rf $(VENV) workspace .pytest_cache .mypy_cache .ruff_cache
