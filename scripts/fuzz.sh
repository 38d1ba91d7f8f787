#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, clang -fsanitize=fuzzer,address,undefined; host code only, no
# Vulkan) into build-fuzz/ and fuzzes each for SECONDS (default 60), one after another, at low priority.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 600 gguf tokenizer
# New coverage is kept in build-fuzz/corpus/<target>/ (seeded from tests/fuzz/corpus/<target>/); a finding
# is written to tests/fuzz/crashes/<target>/ (commit it with the fix: CI replays it). To fold a campaign's
# corpus back into the committed seeds, minimised: FUZZ_MERGE=1 scripts/fuzz.sh 0 TARGET.
# Per target it prints libFuzzer's final line (executions, exec/s, cov, ft) to build-fuzz/fuzz-summary.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=()
  for f in tests/fuzz/fuzz_*.c; do
    t=$(basename "$f" .c); t=${t#fuzz_}
    [ "$t" = util ] || TARGETS+=("$t")
  done
fi

# path-based APIs (safetensors, config.json, vocab.txt) read files the targets write: keep them in RAM
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi

if [ "${FUZZ_BUILD:-1}" = 1 ]; then  # FUZZ_BUILD=0: use the targets as built (a campaign over several calls)
  cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKATTN_FUZZ=ON >/dev/null
  cmake --build build-fuzz -j2 --target fuzz_targets >/dev/null
fi

for t in "${TARGETS[@]}"; do
  bin=build-fuzz/tests/fuzz/fuzz_$t
  seeds=tests/fuzz/corpus/$t crashes=tests/fuzz/crashes/$t work=build-fuzz/corpus/$t
  mkdir -p "$work" "$crashes"
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    # minimal set with the coverage of seeds + campaign corpus, written back over the seeds
    tmp=$(mktemp -d)
    nice -n 19 "$bin" -merge=1 "$tmp" "$seeds" "$work" 2>/dev/null
    rm -f "$seeds"/*; cp "$tmp"/* "$seeds"/; rm -rf "$tmp"
    echo "$t: $(ls "$seeds" | wc -l) seeds, $(du -sk "$seeds" | cut -f1) KB"
    continue
  fi
  echo "== fuzz_$t: ${SECONDS_EACH}s =="
  log=build-fuzz/fuzz_$t.log
  # -timeout: a single input slower than this is a finding; -rss_limit_mb: so is memory beyond it
  if ! nice -n 19 "$bin" "$work" "$seeds" "$crashes" -max_total_time="$SECONDS_EACH" -timeout=25 \
      -rss_limit_mb=2560 -max_len=65536 -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
    echo "fuzz_$t: FINDING, see $log and $crashes/"; tail -30 "$log"; exit 1
  fi
  line=$(grep -E '^#[0-9]+\s+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1)
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "fuzz_$t: $runs executions; $line" | tee -a build-fuzz/fuzz-summary.txt
done
