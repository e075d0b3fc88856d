#!/usr/bin/env bash
# Prints the directory of every Go module in this repository, root first,
# one per line ("." and paths such as "./adapters/gin"). Portable find and
# sed only (no GNU -printf). Fails if find fails or finds no module.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=$(find . \( -name .git -o -name testdata -o -name node_modules \) -prune -o -type f -name go.mod -print |
  sed 's|/go\.mod$||' | LC_ALL=C sort)
if [ -z "$modules" ]; then
  echo "scripts/modules.sh: no go.mod found under $(pwd)" >&2
  exit 1
fi
printf '%s\n' "$modules"
