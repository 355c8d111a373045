#!/usr/bin/env bash
# What a feature costs: our server without it, measured beside ours or the bare provider.
#
#   test/bench/what-if.sh no-login-limits no-audit        # prints the directory it made
#   npm run bench -- --phases rounds,steps --against DIR  # ours ÷ ours without them
#   npm run bench -- --phases rounds,steps --entry DIR/dist/src/main.js   # without them ÷ bare
#
# Each name is a patch in test/bench/what-if/ (no-login-limits, no-audit, no-metrics, no-templates),
# applied to a copy of HEAD (committed code only) in var/bench/what-if/NAMES, with a link to this
# node_modules, and compiled. A scratch build for measuring, never for serving: no-templates answers
# every page with a bare form (enough for the bench's password login, not for its other flows).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ $# -eq 0 ]; then
  echo "usage: test/bench/what-if.sh NAME... (one or more of: $(cd test/bench/what-if && ls *.patch | sed 's/\.patch$//' | tr '\n' ' '))" >&2
  exit 2
fi
for name in "$@"; do
  [ -f "test/bench/what-if/$name.patch" ] || { echo "what-if: no patch named $name in test/bench/what-if/" >&2; exit 2; }
done
dir="var/bench/what-if/$(IFS=+; echo "$*")"
rm -rf "$dir"
mkdir -p "$dir"
git archive HEAD | tar -x -C "$dir"
ln -s "$PWD/node_modules" "$dir/node_modules"
for name in "$@"; do
  # A patch that no longer applies (the code it edits has changed) stops here, saying which.
  patch --quiet --forward -p1 -d "$dir" < "test/bench/what-if/$name.patch" \
    || { echo "what-if: $name.patch no longer applies to HEAD: update it" >&2; exit 1; }
done
(cd "$dir" && node scripts/build.mjs >&2)
echo "$PWD/$dir"
