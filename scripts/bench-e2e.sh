#!/usr/bin/env bash
# End-to-end benchmark: generate a ledger, scan it, and (where Python + DuckDB and ../shared/peers exist) time the
# DuckDB scan floor and the DuckDB peer on the same folder. Env: ROWS (default 10000000), THREADS (default 2),
# DIR (default a temp folder).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000000}
THREADS=${THREADS:-2}
DIR=${DIR:-$(mktemp -d -t subsidy-bench.XXXXXX)}
BIN=${CARGO_TARGET_DIR:-target}/release/subsidy-audit
PEERS=../shared/peers

cargo build --release --quiet

# run LABEL CMD...: time a whole process with /usr/bin/time -v; sets SECS and RSS_MIB
run() {
  local label=$1; shift
  local log; log=$(mktemp)
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$@" >"$log.out" 2>"$log" || { cat "$log.out" "$log" >&2; echo "$label failed" >&2; return 1; }
    SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    RSS_MIB=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  else
    local t0; t0=$(date +%s.%N)
    "$@" >"$log.out" 2>"$log" || { cat "$log.out" "$log" >&2; echo "$label failed" >&2; return 1; }
    SECS=$(echo "$(date +%s.%N) - $t0" | bc); RSS_MIB="?"
  fi
  printf '%-22s %8.2f s  %6s MiB peak  %12.0f rows/s\n' "$label" "$SECS" "$RSS_MIB" "$(echo "$ROWS / $SECS" | bc -l)"
  rm -f "$log" "$log.out"
}

echo "rows=$ROWS threads=$THREADS dir=$DIR"
run generate "$BIN" generate --rows "$ROWS" --out "$DIR" --seed 7
# the rule sets of issues 4 and 5 (the core's duplicate rules with the ghost and insider, or the money and digit
# families), then every rule
run scan-dup-gho-ins "$BIN" scan "$DIR" --out "$DIR/out" -q --exit-zero --threads "$THREADS" \
  --select DUP001,DUP002,DUP003,DUP004,GHO,INS
run scan-dup-amt-dig "$BIN" scan "$DIR" --out "$DIR/out" -q --exit-zero --threads "$THREADS" \
  --select DUP001,DUP002,DUP003,DUP004,AMT,DIG
run scan "$BIN" scan "$DIR" --out "$DIR/out" -q --exit-zero --threads "$THREADS"
SCAN=$SECS

if [ -d "$PEERS" ] && command -v python3 >/dev/null && python3 -c 'import duckdb' 2>/dev/null; then
  run duckdb-scan-floor python3 "$PEERS/scan_floor.py" --engine duckdb --data "$DIR" --threads "$THREADS"
  FLOOR=$SECS
  run duckdb-peer python3 "$PEERS/peer_duckdb.py" --data "$DIR" --out "$DIR/duck.parquet" --threads "$THREADS"
  PEER=$SECS
  printf 'scan / scan floor: %.2fx   scan / duckdb peer: %.2fx\n' "$(echo "$SCAN / $FLOOR" | bc -l)" "$(echo "$SCAN / $PEER" | bc -l)"
else
  echo "python3 with duckdb or $PEERS not available: peer timings skipped"
fi
