#!/usr/bin/env bash
# Prints the directory of every Go module in this repository, root first.
set -euo pipefail
cd "$(dirname "$0")/.."
find . -name go.mod -not -path '*/testdata/*' -not -path './.git/*' -printf '%h\n' | sort
