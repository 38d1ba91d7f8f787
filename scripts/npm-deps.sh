#!/usr/bin/env bash
# npm packages the tests use, installed into the build tree (BUILD/npm/node_modules), versions pinned:
#   openai  the official OpenAI SDK: tests/py_serve.py drives `vkattn serve` with it (tests/serve_openai.mjs)
# Usage: bash scripts/npm-deps.sh [BUILD_DIR]   (default: build). Needs Node.js >= 18 and npm.
set -euo pipefail
BUILD=${1:-build}
PKGS=(openai@7.60.0)
command -v npm >/dev/null || { echo "npm-deps: npm is missing (Debian: nodejs npm)" >&2; exit 1; }
mkdir -p "$BUILD/npm"
cd "$BUILD/npm"
[ -f package.json ] || echo '{"private": true, "type": "module"}' > package.json
missing=()
for p in "${PKGS[@]}"; do
  name=${p%@*}
  want=${p##*@}
  have=$(node -e "try{console.log(require('./node_modules/$name/package.json').version)}catch(e){}" 2>/dev/null || true)
  [ "$have" = "$want" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "npm-deps: ${#PKGS[@]} packages present in $BUILD/npm"
  exit 0
fi
echo "npm-deps: installing ${missing[*]} into $BUILD/npm"
npm install --no-audit --no-fund --silent "${missing[@]}"
