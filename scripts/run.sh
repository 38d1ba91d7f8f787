#!/usr/bin/env bash
# Installs what is missing, builds, lists the Vulkan devices, and generates text with the built-in
# demo model on the best device present. Without a GPU it falls back to lavapipe (CPU) and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
VK="./build/vkattn"
# SwiftShader is not in the loader's default search path: add it so both CPU drivers show.
if [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  export VK_ADD_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json
fi
"$VK" info
if ! "$VK" info --json | grep -q '"type": "\(discrete\|integrated\|virtual\)"'; then
  echo
  echo "note: no GPU found; running on lavapipe, Mesa's CPU Vulkan driver"
  export VKATTN_DEVICE=${VKATTN_DEVICE:-llvmpipe}
fi
echo
echo "== vkattn run: the built-in demo model (a 1.9M-parameter llama trained on Debian's fortunes; models/README.md)"
# greedy, so every run prints the same; the first run also compiles the shaders (cached on disk after)
"$VK" run -p "${VKATTN_PROMPT:-The meaning of life}" -n 64 --temp 0
echo
"$VK" run -p "A fool and his money" -n 64 --seed 7
