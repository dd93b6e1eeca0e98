#!/usr/bin/env bash
# The comparison of issue 16, section 3 (a benchmark, not a test): 12 MP JPEGs at concurrency 4 against
#   - a plain Node service (server.mjs: sharp, whose libvips decodes JPEG at reduced scale, + onnxruntime-node) with
#     sharp's defaults: a 4000x3000 photo is decoded at 1/8 (fastShrinkOnLoad),
#   - the same Node service decoding at 1/4 (fastShrinkOnLoad: false), the scale SNoJoE.Service decodes at, and
#   - SNoJoE.Service (dotnet, its defaults: batching, decode at reduced scale),
# one after the other on this machine, with the same model, the same thread budget and the same load client (load.mjs).
# Besides requests/s it reports each server's CPU ms per request over the window (from /proc/PID/stat): on a machine
# shared with other work, throughput follows the CPU a process is given, CPU per request does not.
# Usage: tests/SNoJoE.Benchmarks/node/compare.sh [MODEL.onnx] (default: the bundled int8 model)
# Settings (environment): THREADS (2), CONCURRENCY (4), WARMUP (15 s), DURATION (30 s), ROUNDS (2: node, node-1/4, dotnet, node...),
# DECODES (the service's Limits:MaxConcurrentDecodes; default THREADS, as the service's default is the core count;
# the Node service decodes on libuv's 4 pool threads)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
model="$(realpath "${1:-$root/models/snojoe-resnet18-vocsynth.int8.onnx}")"
threads="${THREADS:-2}" concurrency="${CONCURRENCY:-4}" warmup="${WARMUP:-15}" duration="${DURATION:-30}" rounds="${ROUNDS:-2}"
decodes="${DECODES:-$threads}"
work="$(mktemp -d /tmp/snojoe-compare-XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cd "$here"
[ -d node_modules ] || npm ci --no-audit --no-fund
node make-photos.mjs --out "$work/photos"
dotnet publish -c Release "$root/src/SNoJoE.Service" -o "$work/service" -p:UseAppHost=false >/dev/null

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# load PID PORT NAME: the closed loop against one server, with that server's CPU over the measured window
load() {
  node load.mjs --url "http://127.0.0.1:$2/score" --images "$work/photos" --concurrency "$concurrency" --warmup "$warmup" --duration "$duration" >"$work/load.json" &
  local client=$!
  sleep "$warmup"; local before; before=$(ticks "$1")
  sleep "$duration"; local after; after=$(ticks "$1")
  wait "$client"
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); r.serverCpuMs = (process.argv[3] - process.argv[2]) * 1000 / process.argv[4];
    r.serverCpuMsPerRequest = r.answered ? r.serverCpuMs / r.answered : null; console.log(JSON.stringify(r));' \
    "$work/load.json" "$before" "$after" "$(getconf CLK_TCK)" | tee -a "$work/$3.jsonl"
}

wait_ready() { for _ in $(seq 1 240); do curl -fs "$1/health/ready" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "error: $1 never became ready" >&2; exit 1; }

# run_node NAME FAST_SHRINK_ON_LOAD
run_node() {
  node server.mjs --model "$model" --port 8091 --threads "$threads" --fast-shrink-on-load "$2" >"$work/$1.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_ready http://127.0.0.1:8091
  load "$pid" 8091 "$1"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_dotnet() {
  ASPNETCORE_ENVIRONMENT=Production Model__Path="$model" Inference__Provider=cpu Inference__IntraOpThreads="$threads" \
    Limits__MaxConcurrentDecodes="$decodes" Serilog__MinimumLevel__Default=Warning \
    dotnet "$work/service/SNoJoE.Service.dll" --urls=http://127.0.0.1:8092 >"$work/dotnet.log" 2>&1 &
  local pid=$!; pids+=("$pid")
  wait_ready http://127.0.0.1:8092
  load "$pid" 8092 dotnet
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

echo "model $(basename "$model"), $threads threads each (service: $decodes concurrent decodes), concurrency $concurrency, ${duration} s per window after ${warmup} s, $rounds rounds, $(nproc) cores"
for _ in $(seq 1 "$rounds"); do run_node node true; run_node node-quarter false; run_dotnet; done
node -e '
const fs = require("fs");
const read = f => fs.readFileSync(f, "utf8").trim().split("\n").map(JSON.parse);
const median = v => { const s = [...v].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const n = read(process.argv[1]), q = read(process.argv[2]), d = read(process.argv[3]);
const rn = median(n.map(r => r.requestsPerSecond)), rq = median(q.map(r => r.requestsPerSecond)), rd = median(d.map(r => r.requestsPerSecond));
const cn = median(n.map(r => r.serverCpuMsPerRequest)), cq = median(q.map(r => r.serverCpuMsPerRequest)), cd = median(d.map(r => r.serverCpuMsPerRequest));
const line = (name, rs, r, c) => console.log(`${name} ${r.toFixed(2)} req/s (rounds ${rs.map(x => x.requestsPerSecond.toFixed(2)).join(" / ")}), p50 ${median(rs.map(x => x.p50Ms)).toFixed(0)} ms, `
  + `${c.toFixed(1)} server CPU ms per request (rounds ${rs.map(x => x.serverCpuMsPerRequest.toFixed(1)).join(" / ")})`);
line("node (sharp defaults, decode 1/8):  ", n, rn, cn);
line("node (decode 1/4, as the service):  ", q, rq, cq);
line("SNoJoE.Service (decode 1/4):        ", d, rd, cd);
const ratio = (name, r, c) => console.log(`SNoJoE.Service / ${name}: ${(rd / r).toFixed(2)} x the requests/s, ${(c / cd).toFixed(2)} x the requests per CPU second`);
ratio("node (sharp defaults)", rn, cn);
ratio("node (decode 1/4)", rq, cq);
console.log(`errors: node ${JSON.stringify(n.map(r => r.errors))}, node 1/4 ${JSON.stringify(q.map(r => r.errors))}, dotnet ${JSON.stringify(d.map(r => r.errors))}`);
' "$work/node.jsonl" "$work/node-quarter.jsonl" "$work/dotnet.jsonl"
