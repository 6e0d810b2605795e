#!/usr/bin/env bash
# Skew benchmark (issue 11): generate a ledger, write each skewed variant of the same rows (one key column made
# constant, every amount equal, one payee paid into half the rows' accounts, one account shared by half the rows'
# payees: the hidden `subsidy-audit skew` command), scan each with every rule (reference tables included) and
# report wall time, peak memory and output size against the unskewed rows. The goal: at most 2x the unskewed
# wall time, outputs under 50 MB.
# Env: ROWS (default 2000000), THREADS (default 2), DIR (default a temp folder), SKEWS (default all),
# BIN (default the release binary, built first; give BIN to time another build without building).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-2000000}
THREADS=${THREADS:-2}
DIR=${DIR:-$(mktemp -d -t subsidy-skew.XXXXXX)}
SKEWS=${SKEWS:-"account payee_id payee_name officer_id region scheme period amount one_payee one_account"}
if [ -z "${BIN:-}" ]; then
  BIN=${CARGO_TARGET_DIR:-target}/release/subsidy-audit
  cargo build --release --quiet
fi

# run LABEL OUT CMD...: time a whole process with /usr/bin/time -v; sets SECS, RSS_MIB and OUT_MB
run() {
  local label=$1 out=$2; shift 2
  local log; log=$(mktemp)
  rm -rf "$out"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$@" >"$log.out" 2>"$log" || { cat "$log.out" "$log" >&2; echo "$label failed" >&2; return 1; }
    SECS=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    RSS_MIB=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  else
    local t0; t0=$(date +%s.%N)
    "$@" >"$log.out" 2>"$log" || { cat "$log.out" "$log" >&2; echo "$label failed" >&2; return 1; }
    SECS=$(echo "$(date +%s.%N) - $t0" | bc); RSS_MIB="?"
  fi
  OUT_MB=$(du -sk "$out" 2>/dev/null | awk '{printf "%.1f", $1/1024}')
  rm -f "$log" "$log.out"
}

scan() { # scan LABEL FOLDER
  run "$1" "$DIR/out-$1" "$BIN" scan "$2" --out "$DIR/out-$1" -q --exit-zero --threads "$THREADS"
  local floods; floods=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1])).get('floods', [])))" \
    "$DIR/out-$1/summary.json" 2>/dev/null || echo "?")
  local findings; findings=$(grep -o '"findings": [0-9]*' "$DIR/out-$1/summary.json" | head -1 | awk '{print $2}')
  printf '%-12s %8.2f s  %6.2fx  %6s MiB peak  %8s MB out  %8s findings  %3s floods\n' \
    "$1" "$SECS" "$(echo "$SECS / ${BASE_SECS:-$SECS}" | bc -l)" "$RSS_MIB" "$OUT_MB" "$findings" "$floods"
}

echo "rows=$ROWS threads=$THREADS dir=$DIR bin=$BIN"
run generate "$DIR/base" "$BIN" generate --rows "$ROWS" --out "$DIR/base" --seed 7
printf '%-12s %8.2f s\n' generate "$SECS"
for k in $SKEWS; do
  "$BIN" skew --from "$DIR/base" --out "$DIR/$k" --kind "$k"
done
printf '%-12s %10s  %7s  %10s  %11s  %8s\n' variant wall "vs base" "peak RSS" output findings
BASE_SECS=
scan unskewed "$DIR/base"
BASE_SECS=$SECS
for k in $SKEWS; do
  scan "$k" "$DIR/$k"
done
