#!/usr/bin/env bash
# Report cost benchmark (issue "What an audit office hands on"): the same ledger scanned with the machine outputs
# only (--report parquet,jsonl,csv) and with every report (--report all: hotspots, workbook, page), alternating,
# RUNS times each; prints each run and the medians, and the size of each output. Goal: every report costs at most
# 10% more wall time. Env: ROWS (default 10000000), THREADS (default 2), RUNS (default 3), DIR (default a temp
# folder; a generated folder already there is reused), BIN (default the release binary, built first).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-10000000}
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
DIR=${DIR:-$(mktemp -d -t subsidy-reports.XXXXXX)}
if [ -z "${BIN:-}" ]; then
  BIN=${CARGO_TARGET_DIR:-target}/release/subsidy-audit
  cargo build --release --quiet
fi
[ -d "$DIR/data/ledger" ] || "$BIN" generate --rows "$ROWS" --out "$DIR/data" --seed 7 >/dev/null

# one LABEL REPORTS: a whole scan, timed; prints wall seconds and peak MiB
one() {
  local log; log=$(mktemp)
  /usr/bin/time -f "%e %M" "$BIN" scan "$DIR/data" --out "$DIR/out-$1" -q --exit-zero --threads "$THREADS" \
    --report "$2" 2>"$log"
  tail -1 "$log"; rm -f "$log"
}

declare -a base all
for i in $(seq "$RUNS"); do
  read -r s m < <(one base parquet,jsonl,csv); base+=("$s"); echo "run $i  machine outputs  $s s  $((m / 1024)) MiB"
  read -r s m < <(one all all); all+=("$s"); echo "run $i  every report     $s s  $((m / 1024)) MiB"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mb=$(median "${base[@]}"); ma=$(median "${all[@]}")
echo "median: machine outputs $mb s, every report $ma s: +$(echo "($ma / $mb - 1) * 100" | bc -l | xargs printf '%.1f')%"
ls -l "$DIR/out-all" | awk 'NR > 1 {printf "  %-18s %10.1f MB\n", $9, $5 / 1e6}'
