#!/bin/bash
# Side by side on one machine and one Vulkan driver: llama.cpp's Vulkan backend (node-llama-cpp's
# prebuilt binaries) and vkattn, on the same synthetic llama GGUF files (201M parameters, F16 and
# Q8_0; Q4_K_M, Q6_K and other llama-quantize types on request), pp512 and tg128 tok/s as llama-bench reports them. Also llama.cpp's CPU backend for
# reference, and vkattn alone on SwiftShader (llama.cpp refuses it: no 16-bit storage).
# Writes bench/results/model-vs-llamacpp-lavapipe.{json,md}.
#
#   bash bench/peer-llamacpp/run.sh [--reps N] [--types "F16 Q8_0 Q4_K_M Q6_K"] [--no-cpu] [--no-swiftshader] [--resume]
#
# Order per type: llama.cpp Vulkan, vkattn (lavapipe), llama.cpp CPU, vkattn (SwiftShader); the
# report is rewritten after each measurement, so an interrupted run still leaves its results, and
# --resume keeps the measurements already in $WORK (the machine is shared: runs are slow).
#
# node-llama-cpp goes into $WORK/node (build tree, not committed): the main package with
# --ignore-scripts --omit=optional and NODE_LLAMA_CPP_SKIP_DOWNLOAD=true (nothing is built or
# downloaded at install), plus its two prebuilt binary packages (linux-x64-vulkan, linux-x64),
# which are optional dependencies and so are named explicitly.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
WORK=${WORK:-$BUILD/peer-llamacpp}
VKATTN=${VKATTN:-$BUILD/vkattn}
LVP=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
SWS=/usr/lib/chromium/vk_swiftshader_icd.json
NLC=3.22.1
PY=/usr/bin/python3
REPS=1 TYPES="F16 Q8_0" CPU=1 SWIFTSHADER=1 RESUME=0
while [ $# -gt 0 ]; do
    case $1 in
        --reps) REPS=$2; shift 2 ;;
        --types) TYPES=$2; shift 2 ;;
        --no-cpu) CPU=0; shift ;;
        --no-swiftshader) SWIFTSHADER=0; shift ;;
        --resume) RESUME=1; shift ;;
        *) echo "usage: $0 [--reps N] [--types \"F16 Q8_0\"] [--no-cpu] [--no-swiftshader] [--resume]" >&2; exit 2 ;;
    esac
done
mkdir -p "$WORK" "$ROOT/bench/results"
LOG=$WORK/commands.txt
[ "$RESUME" = 1 ] || : > "$LOG"
run() { echo "$*" >> "$LOG"; "$@"; }

# ---- llama.cpp through node-llama-cpp ----
if [ ! -d "$WORK/node/node_modules/@node-llama-cpp/linux-x64-vulkan" ]; then
    mkdir -p "$WORK/node"
    echo '{"name": "vkattn-peer-llamacpp", "private": true}' > "$WORK/node/package.json"
    (cd "$WORK/node" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true run npm install --no-audit --no-fund --ignore-scripts \
        --omit=optional "node-llama-cpp@$NLC" "@node-llama-cpp/linux-x64-vulkan@$NLC" "@node-llama-cpp/linux-x64@$NLC")
fi
cp "$ROOT/bench/peer-llamacpp/bench.mjs" "$WORK/node/bench.mjs"  # resolves node-llama-cpp from there
NLC_DIR=$WORK/node/node_modules/node-llama-cpp
BUNDLE_HEAD=$(git bundle list-heads "$NLC_DIR/llama/gitRelease.bundle" 2>/dev/null | awk '{print $1; exit}' || true)
cat > "$WORK/versions.json" <<JSON
{"node": "$(node --version)", "npm": "$(npm --version)", "node_llama_cpp": "$NLC",
 "llama_cpp_source_bundle_head": "${BUNDLE_HEAD:-unknown}",
 "vkattn_commit": "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)",
 "mesa": "$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers:$(dpkg --print-architecture) 2>/dev/null || echo unknown)",
 "swiftshader_chromium": "$(dpkg-query -W -f='${Version}' chromium-common 2>/dev/null || echo unknown)"}
JSON

# F16, Q8_0 and F32 are written directly; other types (Q4_K_M, Q6_K, ...) by llama.cpp's own quantizer
# from the F16 file, so they hold the tensor type mix llama-quantize writes
for t in $TYPES; do
    m=$WORK/synth-llama-201m-${t,,}.gguf
    [ -f "$m" ] && continue
    case $t in
        F16|Q8_0|F32) run $PY "$ROOT/bench/peer-llamacpp/make_model.py" "$m" --type "$t" ;;
        *) f16=$WORK/synth-llama-201m-f16.gguf
           [ -f "$f16" ] || run $PY "$ROOT/bench/peer-llamacpp/make_model.py" "$f16" --type F16
           run $PY "$ROOT/scripts/quantize_gguf.py" "$f16" "$m" "$t" ;;
    esac
done

# ---- measurements: per weight type, the two Vulkan implementations back to back on lavapipe ----
HAVE_VKATTN=0
if [ -x "$VKATTN" ] && "$VKATTN" bench model --help > /dev/null 2>&1; then HAVE_VKATTN=1; fi
report() {
    run $PY "$ROOT/bench/peer-llamacpp/report.py" --work "$WORK" --types "$TYPES" --commands "$LOG" \
        --out "$ROOT/bench/results/model-vs-llamacpp-lavapipe" > /dev/null
}
# measure NAME COMMAND...: stdout -> $WORK/NAME.json (kept with --resume), then the report is rewritten
measure() {
    local out=$WORK/$1.json
    shift
    if [ "$RESUME" = 1 ] && [ -s "$out" ]; then echo "== $(basename "$out"): kept (--resume)" >&2; return; fi
    echo "== $(basename "$out" .json)" >&2
    rm -f "$out"
    "$@" > "$out.tmp" && mv "$out.tmp" "$out"
    report
}
llamacpp() {  # llamacpp vulkan|cpu MODEL
    (cd "$WORK/node" && run env GGML_VK_VISIBLE_DEVICES=0 VK_DRIVER_FILES=$LVP NODE_LLAMA_CPP_SKIP_DOWNLOAD=true \
        node bench.mjs "$2" --gpu "$1" --reps "$REPS")
}
vkattn() {  # vkattn ICD MODEL
    run env VK_DRIVER_FILES="$1" "$VKATTN" bench model -m "$2" -p 512 -n 128 -r "$REPS" --json
}
for t in $TYPES; do
    k=${t,,}
    m=$WORK/synth-llama-201m-$k.gguf
    [ "$RESUME" = 1 ] || rm -f "$WORK"/*-"$k".json
    measure "llamacpp-vulkan-$k" llamacpp vulkan "$m"
    [ "$HAVE_VKATTN" = 1 ] && measure "vkattn-lavapipe-$k" vkattn "$LVP" "$m"
    [ "$CPU" = 1 ] && measure "llamacpp-cpu-$k" llamacpp cpu "$m"
    [ "$HAVE_VKATTN" = 1 ] && [ "$SWIFTSHADER" = 1 ] && measure "vkattn-swiftshader-$k" vkattn "$SWS" "$m"
done

# ---- report ----
report
cat "$ROOT/bench/results/model-vs-llamacpp-lavapipe.md"
