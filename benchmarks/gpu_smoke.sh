#!/usr/bin/env bash
# A real e1 sweep on vLLM, for a machine with a GPU and a local model (or hub id):
#   pip install -e '.[vllm]'
#   bash benchmarks/gpu_smoke.sh /models/DeepSeek-R1-Distill-Qwen-1.5B [task] [limit]
# Prints the summary table (accuracy, tokens, latency) and decode throughput from the run's manifest.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:?usage: benchmarks/gpu_smoke.sh MODEL_PATH_OR_HF_ID [task=math500] [limit=50]}
TASK=${2:-math500}
LIMIT=${3:-50}
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-results/gpu-smoke}
"$PY" -c "import vllm" 2>/dev/null || { echo "vLLM is not installed: pip install -e '.[vllm]'" >&2; exit 2; }
"$PY" -m harness run --model "vllm:$MODEL" --tasks "$TASK" --strategy e1 --budgets 512,1024,2048,4096 \
  --solution-budget 512 --limit "$LIMIT" --data-dir "${HARNESS_DATA_DIR:-../shared/data}" \
  --output-path "$OUT" --overwrite --no-progress ${EXTRA_ARGS:-}
"$PY" - "$OUT" <<'PY'
import json, sys
m = json.load(open(f"{sys.argv[1]}/manifest.json"))
tok, wall, gen = m["generated_tokens"], m["sweep_wall_s"], m["engine_generation_s"]
print(f"{tok} tokens decoded by {m['engine_calls']} engine calls in {wall:.1f} s: {tok / wall:.0f} tokens/s "
      f"end to end; engine time {gen:.1f} s; budget reuse: {m['reuse']}")
PY
