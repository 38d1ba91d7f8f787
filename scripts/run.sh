#!/usr/bin/env bash
# Installs what is missing, builds, and runs vkattn's main job on the best
# Vulkan device present. Without a GPU it falls back to lavapipe (CPU) and says so.
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
# the attention demo joins here once the attention ops land
