#!/usr/bin/env bash
# Runs an Android build of the vkattn CLI on a phone attached over adb (see docs/embedded.md):
# pushes it to /data/local/tmp, prints the Vulkan device's capabilities, then generates with the
# built-in demo model (greedy, so the tokens can be compared with a desktop run).
#   scripts/android-run.sh build-android/vkattn [extra `vkattn run` arguments]
# Not run by the project's CI: no Android device or emulator is available there.
set -euo pipefail
BIN=${1:?usage: android-run.sh PATH/TO/vkattn [run args...]}
shift
command -v adb >/dev/null || { echo "android-run: adb not found (Debian: adb)"; exit 1; }
DIR=/data/local/tmp/vkattn
adb shell mkdir -p "$DIR/cache"
adb push "$BIN" "$DIR/vkattn" >/dev/null
adb shell chmod 755 "$DIR/vkattn"
# No $XDG_CACHE_HOME and no writable $HOME on Android: the pipeline cache goes to $VKATTN_CACHE_DIR.
adb shell "cd $DIR && VKATTN_CACHE_DIR=$DIR/cache ./vkattn info"
adb shell "cd $DIR && VKATTN_CACHE_DIR=$DIR/cache ./vkattn run -p 'The meaning of life' --temp 0 -n 24 $*"
