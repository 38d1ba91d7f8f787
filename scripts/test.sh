#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole suite: every GPU test on
# every Vulkan driver present (lavapipe and SwiftShader on CI) with validation
# on, then the host-side tests again under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
JOBS=$(nproc)

echo "== build (release) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"
echo "== tests: both drivers, validation on =="
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 1500
# Opt-in (VKATTN_TEST_SYNC=1): every GPU C test again with synchronization validation (about as long
# again as the GPU C tests; the *.lavapipe-sync tests above cover the batching-heavy ones every run).
if [ "${VKATTN_TEST_SYNC:-0}" = 1 ]; then bash scripts/test-sync.sh build; fi

# The other builds embed the Release build's SPIR-V rather than compile every shader again.
SPIRV="-DVKATTN_SPIRV_DIR=$PWD/build/shaders"
echo "== build with clang (warnings are errors) =="
cmake -S . -B build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release -DVKATTN_BUILD_TESTS=ON "$SPIRV" >/dev/null
cmake --build build-clang -j"$JOBS" >/dev/null

echo "== build (ASan + UBSan) =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVKATTN_SANITIZE=ON "$SPIRV" >/dev/null
cmake --build build-asan -j"$JOBS"
echo "== tests under ASan + UBSan (host tests, and GPU tests on lavapipe) =="
# The drivers themselves are not instrumented and keep some allocations for the
# process lifetime, so leak checking stays on for host tests only.
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j"$JOBS" -L host
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j"$JOBS" -L lavapipe -E "^py_" --timeout 1500
# The self-test is CLI code the C tests do not run: once on lavapipe, quick form, validation on.
# lavapipe's ICD by file name, as the tests do: with other ICDs present (arm64 ones after
# setup.sh --aarch64) the loader's messages about them would count as validation messages.
echo "== vkattn selftest --quick under ASan + UBSan (lavapipe) =="
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.$(uname -m).json \
  build-asan/vkattn selftest --quick --validation >build-asan/selftest.txt || { cat build-asan/selftest.txt; exit 1; }
