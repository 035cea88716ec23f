#!/usr/bin/env bash
# Lints openapi.yaml with Spectral (@stoplight/spectral-cli, pinned in tools/spectral/package-lock.json) and the
# project's ruleset .spectral.yaml; fails on any error. First proves the linter bites: a copy of the contract with
# a broken reference must fail, so a silently misconfigured Spectral cannot pass CI.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=tools/spectral
spectral=$tools/node_modules/.bin/spectral

# Install exactly the locked versions; again whenever the lock changed since the last install.
if [ ! -x "$spectral" ] || [ "$tools/package-lock.json" -nt "$tools/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error >/dev/null
fi

work=$(mktemp -d /tmp/cc-spectral.XXXXXX)
trap 'rm -rf "$work"' EXIT
sed 's|#/components/schemas/CallState|#/components/schemas/NoSuchSchema|' openapi.yaml >"$work/broken.yaml"
if "$spectral" lint "$work/broken.yaml" --ruleset .spectral.yaml --fail-severity=error --quiet >/dev/null 2>&1; then
  echo "spectral-lint: Spectral accepted a contract with a broken \$ref: the lint is not working" >&2
  exit 1
fi

"$spectral" --version | sed 's/^/spectral /'
"$spectral" lint openapi.yaml --ruleset .spectral.yaml --fail-severity=error
echo "Spectral lint of openapi.yaml: OK (no errors)"
