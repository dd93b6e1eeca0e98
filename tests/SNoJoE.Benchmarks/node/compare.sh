#!/usr/bin/env bash
# The comparison of issue 16, section 3 (a benchmark, not a test): 12 MP JPEGs at concurrency 4 against
#   - a plain Node service (server.mjs: sharp, whose libvips decodes JPEG at reduced scale, + onnxruntime-node), and
#   - SNoJoE.Service (dotnet, its defaults: batching, decode at reduced scale),
# one after the other on this machine, with the same model, the same thread budget and the same load client (load.mjs).
# Usage: tests/SNoJoE.Benchmarks/node/compare.sh [MODEL.onnx] (default: the bundled int8 model)
# Settings (environment): THREADS (2), CONCURRENCY (4), WARMUP (15 s), DURATION (30 s), ROUNDS (2: node, dotnet, node, dotnet...)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
model="$(realpath "${1:-$root/models/snojoe-resnet18-vocsynth.int8.onnx}")"
threads="${THREADS:-2}" concurrency="${CONCURRENCY:-4}" warmup="${WARMUP:-15}" duration="${DURATION:-30}" rounds="${ROUNDS:-2}"
work="$(mktemp -d /tmp/snojoe-compare-XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cd "$here"
[ -d node_modules ] || npm ci --no-audit --no-fund
node make-photos.mjs --out "$work/photos"
dotnet publish -c Release "$root/src/SNoJoE.Service" -o "$work/service" -p:UseAppHost=false >/dev/null

wait_ready() { for _ in $(seq 1 240); do curl -fs "$1/health/ready" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "error: $1 never became ready" >&2; exit 1; }

run_node() {
  node server.mjs --model "$model" --port 8091 --threads "$threads" >"$work/node.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_ready http://127.0.0.1:8091
  node load.mjs --url http://127.0.0.1:8091/score --images "$work/photos" --concurrency "$concurrency" --warmup "$warmup" --duration "$duration" | tee -a "$work/node.jsonl"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_dotnet() {
  ASPNETCORE_ENVIRONMENT=Production Model__Path="$model" Inference__Provider=cpu Inference__IntraOpThreads="$threads" \
    Limits__MaxConcurrentDecodes="$threads" Serilog__MinimumLevel__Default=Warning \
    dotnet "$work/service/SNoJoE.Service.dll" --urls=http://127.0.0.1:8092 >"$work/dotnet.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_ready http://127.0.0.1:8092
  node load.mjs --url http://127.0.0.1:8092/score --images "$work/photos" --concurrency "$concurrency" --warmup "$warmup" --duration "$duration" | tee -a "$work/dotnet.jsonl"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "model $(basename "$model"), $threads threads each, concurrency $concurrency, ${duration} s per window after ${warmup} s, $rounds rounds, $(nproc) cores"
for _ in $(seq 1 "$rounds"); do run_node; run_dotnet; done
node -e '
const fs = require("fs");
const read = f => fs.readFileSync(f, "utf8").trim().split("\n").map(JSON.parse);
const median = v => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const n = read(process.argv[1]), d = read(process.argv[2]);
const rn = median(n.map(r => r.requestsPerSecond)), rd = median(d.map(r => r.requestsPerSecond));
console.log(`node (sharp + onnxruntime-node): ${rn.toFixed(2)} req/s (rounds ${n.map(r => r.requestsPerSecond.toFixed(2)).join(" / ")}), p50 ${median(n.map(r => r.p50Ms)).toFixed(0)} ms`);
console.log(`SNoJoE.Service:                  ${rd.toFixed(2)} req/s (rounds ${d.map(r => r.requestsPerSecond.toFixed(2)).join(" / ")}), p50 ${median(d.map(r => r.p50Ms)).toFixed(0)} ms`);
console.log(`SNoJoE.Service / node = ${(rd / rn).toFixed(2)}; errors: node ${JSON.stringify(n.map(r => r.errors))}, dotnet ${JSON.stringify(d.map(r => r.errors))}`);
' "$work/node.jsonl" "$work/dotnet.jsonl"
