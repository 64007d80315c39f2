#!/usr/bin/env bash
# Create .venv and install the harness with its test extras, from the package index alone.
# llama-cpp-python builds from source (about 7 minutes on 2 cores). It is built for AVX2 rather than
# -march=native: a native build on CPUs that report AMX crashes with "Illegal instruction" inside VMs
# whose kernel does not grant AMX tile state. --no-cache-dir keeps an older native wheel out.
set -euo pipefail
cd "$(dirname "$0")"
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
echo "setup done: .venv is ready"
