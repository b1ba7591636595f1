#!/usr/bin/env bash
# User-space instructions per HTTP/1.1 request of the bench's hyper server,
# counted by callgrind: deterministic, so it compares two builds (or ringline
# and tokio) even on a busy machine, where throughput numbers are noise.
#
#   scripts/instructions-per-request.sh [BENCH_BINARY] [RUNTIME] [CONNS] [REQUESTS]
#
# BENCH_BINARY defaults to target/release/bench (`cargo build --release -p
# ringline-bench --bins`); RUNTIME is ringline (mio backend: valgrind cannot
# follow io_uring) or tokio. Needs valgrind and h2load (nghttp2-client).
# Kernel time is not counted: compare system calls with `bench syscalls`.
set -euo pipefail
bin=${1:-target/release/bench}
runtime=${2:-ringline}
conns=${3:-256}
requests=${4:-20000}
port=$((40000 + RANDOM % 20000))
out=$(mktemp -d)
RINGLINE_BACKEND=mio valgrind --tool=callgrind --callgrind-out-file="$out/cg.%p" \
    "$bin" server --runtime "$runtime" --workers 1 --port "$port" --workload http >"$out/valgrind.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    ss -ltn | grep -q ":$port " && break
    sleep 1
done
h2load --h1 -n 3000 -c "$conns" "http://127.0.0.1:$port/" >/dev/null   # warm up
callgrind_control -z "$server" >/dev/null
h2load --h1 -n "$requests" -c "$conns" "http://127.0.0.1:$port/" | grep -q "$requests succeeded"
callgrind_control -d "$server" >/dev/null
sleep 1
total=$(awk '/^totals:/ {print $2}' "$out"/cg.$server.1)
echo "$runtime: $((total / requests)) instructions per request ($total over $requests requests, $conns connections)"
echo "profile: $out/cg.$server.1 (callgrind_annotate --inclusive=yes it)"
