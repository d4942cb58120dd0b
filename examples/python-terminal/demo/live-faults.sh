#!/usr/bin/env bash
# terminal.py against the real `posfault host` and `posfault proxy`, one fault per case: each
# case starts a fresh host and a proxy on 127.0.0.1 (ports picked by the OS), runs two sales
# through the terminal, and checks what the terminal reported and what the host journalled.
# Everything it starts is stopped when it ends, also on failure or Ctrl-C. The connect timeout
# is 6 s so that the redials (waits of 0.2, 0.4 and 0.8 s) outlast the 1 s refusal window.
#
# Usage (from the repository root, after `cargo build --release` and the .venv of .ci/run):
#   examples/python-terminal/demo/live-faults.sh [POSFAULT_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../../.."
bin=${1:-target/release/posfault}
py=${POSFAULT_PYTHON:-.venv/bin/python}
demo=examples/python-terminal/demo
work=$(mktemp -d)
pids=()
stop() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
trap 'stop; rm -rf "$work"' EXIT

# listen VAR LOG CMD...: starts CMD in the background (logging to LOG) and sets VAR to the
# address it prints it listens on. Not run in $(...): the pid must reach this shell's list.
listen() {
  local var=$1 log=$2; shift 2
  "$@" > "$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 50); do
    grep -qs 'listening on' "$log" && break
    sleep 0.1
  done
  printf -v "$var" '%s' "$(grep -o 'listening on [0-9.:]*' "$log" | awk '{print $3}')"
}

sale() {
  printf '{"v":1,"id":"%s","op":"sale","amount":"%s","currency":"156","card":{"pan":"4761739001010010","expiry":"2812","entry":"chip","pin":"1234"}}\n' "$1" "$2"
}

failures=0
# case NAME FAULTS-YAML EXPECTED-T1-OUTCOME-FRAGMENT EXPECTED-HOST-JOURNAL-FRAGMENT...
case_() {
  local name=$1 faults=$2 want=$3; shift 3
  local d=$work/$name
  mkdir -p "$d/state"
  printf '%s\n' "$faults" > "$d/faults.yaml"
  local host proxy
  listen host "$d/host.log" "$bin" host --listen 127.0.0.1:0 --config "$demo/host.yaml"
  listen proxy "$d/proxy.log" "$bin" proxy --listen 127.0.0.1:0 --upstream "$host" --faults "$d/faults.yaml"
  { sale t1 3.00; sale t2 4.00; echo '{"v":1,"op":"shutdown"}'; } |
    POSFAULT_ADAPTER=1 POSFAULT_HOST=$proxy POSFAULT_STATE_DIR=$d/state \
    POSFAULT_RESPONSE_TIMEOUT_MS=1500 POSFAULT_CONNECT_TIMEOUT_MS=6000 POSFAULT_CONNECT_RETRIES=3 \
    POSFAULT_REVERSAL_RETRIES=3 POSFAULT_REVERSAL_INTERVAL_MS=500 \
    timeout 60 "$py" examples/python-terminal/terminal.py > "$d/terminal.out" 2> "$d/terminal.err" || true
  stop  # the host's journal file and the logs are complete once it has exited
  local ok=1
  grep '"id":"t1"' "$d/terminal.out" | grep -q -- "$want" || ok=0
  grep '"id":"t2"' "$d/terminal.out" | grep -q '"result":"approved"' || ok=0
  for j in "$@"; do grep -q -- "$j" "$d/host.log" || ok=0; done
  if grep -q 4761739001010010 "$d/terminal.out" "$d/terminal.err"; then ok=0; fi
  if [ $ok = 1 ]; then
    echo "PASS $name"
  else
    failures=$((failures + 1))
    echo "FAIL $name: expected t1 $want and host lines: $*"
    sed 's/^/  terminal | /' "$d/terminal.out" "$d/terminal.err"
    sed 's/^/  host     | /' "$d/host.log"
    sed 's/^/  proxy    | /' "$d/proxy.log"
  fi
}

case_ no-fault 'faults: []' '"result":"approved"' \
  '#1 0200 STAN 000001 approved' '#2 0200 STAN 000002 approved'
case_ reply-lost "$(cat $demo/faults.yaml)" '"reversal":"acknowledged"' \
  '#1 0200 STAN 000001 approved' '#2 0400 STAN 000001 reversed RC 00' '#3 0200 STAN 000002 approved'
case_ wrong-stan 'faults: [{name: wrong-stan, when: {direction: to_terminal, mti: ["0210"], nth: 1}, action: {kind: corrupt, how: field, field: 11}}]' \
  '"reason":"invalid_reply","reversal":"acknowledged"' '#2 0400 STAN 000001 reversed RC 00'
case_ late-reply 'faults: [{name: slow, when: {direction: to_terminal, mti: ["0210"], nth: 1}, action: {kind: delay, by: 2s}}]' \
  '"reason":"no_response","reversal":"acknowledged"' '#2 0400 STAN 000001 reversed RC 00'
case_ reset 'faults: [{name: rst, when: {direction: to_terminal, mti: ["0210"], nth: 1}, action: {kind: reset}}]' \
  '"reason":"no_response","reversal":"acknowledged"' '#2 0400 STAN 000001 reversed RC 00'
case_ reversal-busy-twice 'faults:
  - {name: lose, when: {direction: to_terminal, mti: ["0210"], nth: 1}, action: {kind: drop_frame}}
  - {name: busy, when: {direction: to_host, mti: ["0400"], max_fires: 2}, action: {kind: reply_as_host, rc: "96"}}' \
  '"reversal":"acknowledged"' '#2 0400 STAN 000001 reversed RC 00'
case_ fragmented-replies 'faults: [{name: pieces, when: {direction: to_terminal, mti: ["0210"]}, action: {kind: fragment, pieces: 5, gap: 100ms}}]' \
  '"result":"approved"' '#2 0200 STAN 000002 approved'
case_ refused-then-redial 'faults: [{name: down, when: {from: 0s, until: 1s}, action: {kind: refuse}}]' \
  '"result":"approved"' '#1 0200 STAN 000001 approved'

[ $failures = 0 ] || { echo "$failures case(s) failed"; exit 1; }
