#!/usr/bin/env bash
# vkattn on 64-bit Arm Linux, tested on this x86-64 machine: cross-builds with Debian's aarch64
# toolchain, then under qemu-user runs the host tests and the C GPU tests on arm64 lavapipe
# (llvmpipe's NEON backend), and the built-in demo model's greedy run, whose tokens must equal
# the x86-64 build's. Shaders are compiled once by the host's glslang: SPIR-V is portable.
#
#   bash scripts/test-aarch64.sh           # the whole C test set and the demo run
#   bash scripts/test-aarch64.sh --short   # host tests, gpu_context and `vkattn info` on arm64 lavapipe (2 min)
#
# Known failure (2026-12-05, Debian 12: qemu-user 7.2, arm64 Mesa 22.3.6 with LLVM 15): arm64
# lavapipe aborts in LLVM's instruction selection ("Cannot select: v4f32 = fp_extend" or
# "= truncate", in cs_co_variant) on every shader that converts half floats (f16 storage,
# unpackHalf2x16), which is most of them; f32-only shaders (copy, relu, scale, softmax through
# `vkattn op`) run and match. So the full form fails at the first such test and the demo run
# cannot finish here. Whether real arm64 hardware shows the same is not known.
set -euo pipefail
cd "$(dirname "$0")/.."
SHORT=0
[ "${1:-}" = "--short" ] && SHORT=1
bash scripts/setup.sh --aarch64
JOBS=$(nproc)
QEMU="qemu-aarch64-static -L /"  # as the toolchain file: loader and libc from the same package
# The arm64 lavapipe ICD, named explicitly: multiarch puts it beside the host's.
ICD=${VKATTN_ARM64_ICD:-/usr/share/vulkan/icd.d/lvp_icd.aarch64.json}
[ -f "$ICD" ] || { echo "test-aarch64: $ICD not found (mesa-vulkan-drivers:arm64)"; exit 1; }

echo "== cross-build (aarch64, Release) =="
cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
  -DCMAKE_BUILD_TYPE=Release -DVKATTN_TEST_DRIVERS="lavapipe=$ICD" \
  ${VKATTN_SPIRV_DIR:+-DVKATTN_SPIRV_DIR=$VKATTN_SPIRV_DIR} >/dev/null  # SPIR-V of a host build, if given
cmake --build build-aarch64 -j"$JOBS"
file build-aarch64/vkattn | grep -q "ARM aarch64" || { echo "test-aarch64: build-aarch64/vkattn is not an aarch64 binary"; exit 1; }

echo "== tests under qemu-aarch64 (host tests; C GPU tests on arm64 lavapipe, validation on) =="
# Python tests drive the CLI as a host process and stay with the native suite.
if [ "$SHORT" = 1 ]; then
  ctest --test-dir build-aarch64 --output-on-failure -j"$JOBS" --timeout 1500 -L host -E '^py_'
  ctest --test-dir build-aarch64 --output-on-failure --timeout 1500 -R '^gpu_context\.lavapipe$'
  VK_DRIVER_FILES=$ICD $QEMU build-aarch64/vkattn info | grep -q llvmpipe
  echo "test-aarch64: short form passed (the demo run needs the full form)"
  exit 0
else
  ctest --test-dir build-aarch64 --output-on-failure -j"$JOBS" --timeout 3000 -E '^py_' -LE fallback
fi

echo "== demo model: greedy tokens on aarch64 equal x86-64 =="
if [ ! -x build/vkattn ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build -j"$JOBS" --target vkattn_cli
fi
HOST_ICD=/usr/share/vulkan/icd.d/lvp_icd.$(uname -m).json
args=(run -p "The meaning of life" --temp 0 -n 24 --print-ids)
want=$(VK_DRIVER_FILES=$HOST_ICD build/vkattn "${args[@]}" 2>/dev/null)
got=$(VK_DRIVER_FILES=$ICD $QEMU build-aarch64/vkattn "${args[@]}" 2>/dev/null)
echo "x86-64 : $want"
echo "aarch64: $got"
[ -n "$want" ] && [ "$want" = "$got" ] || { echo "test-aarch64: greedy tokens differ"; exit 1; }
echo "test-aarch64: passed"
