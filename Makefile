# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit e2e nvim vscode bench eval e2e-vscode e2e-local local-model bench-local clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/codeswitch demo

test: $(STAMP) lint typecheck
	$(BIN)/pytest -q
	$(MAKE) vscode

lint: $(STAMP)
	$(BIN)/ruff check codeswitch tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

vscode:
	@if [ -f editors/vscode/package.json ]; then cd editors/vscode && npm ci --no-audit --no-fund && npm test && npm run package; fi

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# the scope estimator leave-one-project-out on bench/corpus (mirrors: see bench/corpus/README.md),
# then the public click cases through `codeswitch scope --batch`
MIRRORS ?= $(CODESWITCH_MIRRORS)
eval: $(STAMP)
	$(BIN)/pip install -q -e '.[test,train]'
	$(BIN)/python bench/corpus/lopo.py --mirrors "$(MIRRORS)"
	$(BIN)/python bench/eval_scope.py

# a real llama.cpp server (llama-cpp-python, compiled once: several minutes on two cores; the wheel is
# cached outside the repository) and the Gemma 3 270M GGUF, then the local-model end-to-end tests
LLAMA_CPP_VERSION := 0.3.36
WHEELS ?= $(HOME)/.cache/codeswitch/wheels
local-model: $(STAMP)
	@mkdir -p "$(WHEELS)"
	@if ! ls "$(WHEELS)"/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "building llama-cpp-python $(LLAMA_CPP_VERSION) into $(WHEELS) (compiles llama.cpp)"; \
		CMAKE_ARGS=-DGGML_NATIVE=OFF $(BIN)/pip wheel -q --no-deps -w "$(WHEELS)" \
			llama-cpp-python==$(LLAMA_CPP_VERSION) || exit 1; \
	fi
	$(BIN)/pip install -q --find-links "$(WHEELS)" -e '.[test,local]'

e2e-local: local-model
	$(BIN)/pytest -q -rs tests/e2e/test_local_model.py

bench-local: local-model
	$(BIN)/python bench/bench_local.py

e2e-vscode: $(STAMP)
	bash editors/vscode/e2e/run.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
