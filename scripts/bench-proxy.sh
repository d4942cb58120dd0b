#!/usr/bin/env bash
# Round trips/s and p50/p99 latency of ~165-byte ISO 8583 frames (u16be length prefix):
# direct to an echo host, through socat (plain forwarder), through `bench_link forward` (a
# minimal tokio frame forwarder, the floor) and through `posfault proxy` with no faults; 1 and
# 16 connections; client, forwarders and echo host all pinned to CPU 0 (cross-core wake-ups
# cost ~40 us on small VMs and would swamp the figures).
#
# Usage: scripts/bench-proxy.sh [SECONDS]   (default 5 per measurement)
#        BASELINE=/path/to/older/posfault scripts/bench-proxy.sh 5
#   also measures an older build (row `baseline`) in the same run, for before/after figures.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-5}"
CPU="${BENCH_CPU:-0}"

if ! command -v socat >/dev/null; then
    echo "socat missing; installing it with apt-get" >&2
    apt-get install -y socat >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y socat >/dev/null; }
fi
cargo build --quiet --release --bin posfault --example bench_link
BIN=target/release/posfault
LOAD=target/release/examples/bench_link

ECHO_PORT=17101 SOCAT_PORT=17102 PROXY_PORT=17103 FLOOR_PORT=17105
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

taskset -c "$CPU" "$LOAD" echo --listen "127.0.0.1:$ECHO_PORT" & pids+=($!)
taskset -c "$CPU" socat "TCP-LISTEN:$SOCAT_PORT,bind=127.0.0.1,fork,reuseaddr,nodelay" \
    "TCP:127.0.0.1:$ECHO_PORT,nodelay" & pids+=($!)
taskset -c "$CPU" "$BIN" proxy --listen "127.0.0.1:$PROXY_PORT" \
    --upstream "127.0.0.1:$ECHO_PORT" 2>/dev/null & pids+=($!)
# The least a tokio proxy does per frame (length prefix only, one read, one write): the floor.
taskset -c "$CPU" "$LOAD" forward --listen "127.0.0.1:$FLOOR_PORT" \
    --upstream "127.0.0.1:$ECHO_PORT" & pids+=($!)
targets="socat:$SOCAT_PORT tokio-fwd:$FLOOR_PORT posfault:$PROXY_PORT"
if [[ -n "${BASELINE:-}" ]]; then
    BASELINE_PORT=17104
    taskset -c "$CPU" "$BASELINE" proxy --listen "127.0.0.1:$BASELINE_PORT" \
        --upstream "127.0.0.1:$ECHO_PORT" 2>/dev/null & pids+=($!)
    targets="socat:$SOCAT_PORT tokio-fwd:$FLOOR_PORT baseline:$BASELINE_PORT posfault:$PROXY_PORT"
fi
sleep 1

measure() { # name port connections -> "rt p50 p99"
    local out
    out=$(taskset -c "$CPU" "$LOAD" load --target "127.0.0.1:$2" --connections "$3" --seconds "$SECONDS_EACH")
    echo "$out" | sed -E 's/round_trips_per_s=([0-9.]+) p50_us=([0-9.]+) p99_us=([0-9.]+).*/\1 \2 \3/'
}

printf '%-10s %5s %12s %9s %9s %10s %14s\n' target conns "round_trips/s" "p50_us" "p99_us" "x_direct" "added_p50_us"
for conns in 1 16; do
    read -r d_rt d_p50 d_p99 < <(measure direct $ECHO_PORT "$conns")
    printf '%-10s %5s %12s %9s %9s %10s %14s\n' direct "$conns" "$d_rt" "$d_p50" "$d_p99" 1.00 0.0
    for t in $targets; do
        read -r rt p50 p99 < <(measure "${t%%:*}" "${t##*:}" "$conns")
        ratio=$(awk -v a="$rt" -v b="$d_rt" 'BEGIN { printf "%.2f", a / b }')
        added=$(awk -v a="$p50" -v b="$d_p50" 'BEGIN { printf "%.1f", a - b }')
        printf '%-10s %5s %12s %9s %9s %10s %14s\n' "${t%%:*}" "$conns" "$rt" "$p50" "$p99" "$ratio" "$added"
    done
done
