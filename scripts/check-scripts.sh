#!/usr/bin/env bash
# Tests scripts/modules.sh and scripts/test.sh themselves: the listing is
# portable (no GNU-only find options), lists this repository's modules
# root first, and a listing that fails or lists nothing makes test.sh fail
# instead of testing nothing. .ci/run runs it; it needs no Go.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "check-scripts: $*" >&2; exit 1; }

if grep -n -- '^[^#]*-printf' scripts/modules.sh; then
  fail "modules.sh uses find -printf, which BSD and busybox find lack"
fi

listed=$(./scripts/modules.sh)
[ "$(printf '%s\n' "$listed" | head -n 1)" = "." ] || fail "modules.sh does not list the root module first: $listed"
while IFS= read -r gomod; do
  dir=${gomod%/go.mod}
  printf '%s\n' "$listed" | grep -qxF "$dir" || fail "modules.sh misses $dir"
done < <(git ls-files '*go.mod' | grep -v '/testdata/' | sed 's|^|./|')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/scripts"
cp scripts/test.sh scripts/modules.sh "$tmp/scripts/"

# No go.mod at all: the listing itself must fail.
if "$tmp/scripts/modules.sh" >/dev/null 2>&1; then
  fail "modules.sh succeeds in a tree without go.mod"
fi
# test.sh with a listing that fails, and with one that lists nothing.
for body in 'exit 3' 'exit 0'; do
  printf '#!/bin/sh\n%s\n' "$body" >"$tmp/scripts/modules.sh"
  if "$tmp/scripts/test.sh" >/dev/null 2>&1; then
    fail "test.sh passes when modules.sh does '$body'"
  fi
done
echo "check-scripts: ok"
