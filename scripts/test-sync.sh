#!/usr/bin/env bash
# Runs the whole GPU C test suite (tests/gpu_*.c) once more with the validation layer's
# synchronization validation on ($VKATTN_VALIDATE_SYNC=1: read/write hazards between
# dispatches, transfers and host access), on lavapipe and SwiftShader. Any message fails a test,
# as with plain validation. Prints the time it took.
#   bash scripts/test-sync.sh [BUILD_DIR] [-- extra ctest arguments]
# BUILD_DIR (default: build) must be built already (scripts/test.sh does; or cmake --build build).
# Debian 12's layer (1.3.239) checks hazards within a command buffer, not across submissions.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
if [ $# -gt 0 ] && [ "$1" != "--" ]; then BUILD=$1; shift; fi
[ "${1:-}" = "--" ] && shift
if [ ! -f "$BUILD/CTestTestfile.cmake" ]; then
  echo "test-sync.sh: $BUILD is not a build directory with tests; build first (scripts/test.sh or cmake --build $BUILD)" >&2
  exit 2
fi
JOBS=$(nproc)
start=$(date +%s)
echo "== GPU C tests with synchronization validation (lavapipe, SwiftShader) =="
status=0
VKATTN_VALIDATE_SYNC=1 ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" --timeout 1500 \
  -R '^gpu_[a-z0-9_]+\.(lavapipe|swiftshader)$' "$@" || status=$?
echo "test-sync.sh: $(( $(date +%s) - start )) s, exit status $status"
exit $status
