#!/usr/bin/env bash
# Runs the tests of every module in this repository (the root module, each
# adapter and the examples). Arguments are passed to `go test`, e.g.
#   ./scripts/test.sh -race      # the race detector needs cgo: a C compiler
#   ./scripts/test.sh -run TestCSP -v
# Browser tests skip when no Chromium is found, unless GLOMO_E2E=1.
set -euo pipefail
cd "$(dirname "$0")/.."

# Listing first, so that a failing or empty listing stops the run instead
# of testing nothing and passing.
modules=$(./scripts/modules.sh) || { echo "scripts/test.sh: listing the modules failed" >&2; exit 1; }
[ -n "$modules" ] || { echo "scripts/test.sh: no modules to test" >&2; exit 1; }

status=0
while IFS= read -r mod <&3; do
  echo "== go test $* ./... (in $mod)"
  if ! (cd "$mod" && go test "$@" ./...); then
    status=1
  fi
done 3<<<"$modules"
exit $status
