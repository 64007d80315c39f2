#!/usr/bin/env bash
# A real e1 sweep on vLLM, for a machine with a GPU and a local model (or hub id):
#   bash setup.sh --with-vllm
#   bash benchmarks/gpu_smoke.sh /models/DeepSeek-R1-Distill-Qwen-1.5B [task] [limit]
# On vLLM's CPU build it runs too, with SmolLM2 and small budgets (about a minute on 2 cores):
#   BUDGETS=16,32 SOLUTION_BUDGET=16 bash benchmarks/gpu_smoke.sh smollm2-135m gsm8k 3
# Prints the summary table (accuracy, tokens, latency) and decode throughput from the run's manifest.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: benchmarks/gpu_smoke.sh MODEL_PATH_OR_HF_ID_OR_ALIAS [task=math500] [limit=50]}
TASK=${2:-math500}
LIMIT=${3:-50}
BUDGETS=${BUDGETS:-512,1024,2048,4096}
SOLUTION_BUDGET=${SOLUTION_BUDGET:-512}
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/gpu-smoke}
"$PY" -c "import vllm" 2>/dev/null || { echo "vLLM is not installed: bash setup.sh --with-vllm" >&2; exit 2; }
# shellcheck disable=SC2086
"$PY" -m harness run --model "vllm:$MODEL" --tasks "$TASK" --strategy e1 --budgets "$BUDGETS" \
  --solution-budget "$SOLUTION_BUDGET" --limit "$LIMIT" --data-dir "${HARNESS_DATA_DIR:-../shared/data}" \
  --output-path "$OUT" --overwrite --no-progress ${EXTRA_ARGS:-}
"$PY" - "$OUT" <<'PY'
import json, sys
m = json.load(open(f"{sys.argv[1]}/manifest.json"))
tok, wall, gen = m["generated_tokens"], m["sweep_wall_s"], m["engine_generation_s"]
dev = m["model"].get("device", "?")
print(f"{tok} tokens decoded by {m['engine_calls']} engine calls in {wall:.1f} s: {tok / wall:.0f} tokens/s "
      f"end to end; engine time {gen:.1f} s; device {dev}; budget reuse: {m['reuse']}")
PY
