#!/usr/bin/env bash
# Runs the tests of every module in this repository (the root module, each
# adapter and the examples). Arguments are passed to `go test`, e.g.
#   ./scripts/test.sh -race
#   ./scripts/test.sh -run TestCSP -v
# Browser tests skip when no Chromium is found, unless GLOMO_E2E=1.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
for mod in $(./scripts/modules.sh); do
  echo "== go test $* ./... (in $mod)"
  if ! (cd "$mod" && go test "$@" ./...); then
    status=1
  fi
done
exit $status
