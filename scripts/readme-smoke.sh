#!/usr/bin/env bash
# Runs the README's quick start as written: starts the packaged jar on its embedded defaults (fresh DATA_DIR,
# the README's ADMIN_PASSWORD), runs the README's curl block (between the readme-smoke markers) and checks
# that the call it places ends `completed`. Leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/contact-center-api.jar
[ -f "$jar" ] || { echo "build the jar first: mvn -B package -DskipTests" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# The README's run command sets ADMIN_PASSWORD; read it from there so both stay in sync.
admin_password=$(grep -o 'ADMIN_PASSWORD=[^ ]*' README.md | head -1 | cut -d= -f2)
(cd "$work" && ADMIN_PASSWORD="$admin_password" exec java -jar "$OLDPWD/$jar" >"$work/service.log" 2>&1) &
pid=$!
for _ in $(seq 1 120); do
  curl -sf http://localhost:8000/health >/dev/null 2>&1 && break
  sleep 0.5
done
curl -sf http://localhost:8000/health >/dev/null || { cat "$work/service.log"; echo "service did not become healthy" >&2; exit 1; }

# The README's curl block, verbatim.
sed -n '/<!-- readme-smoke:start -->/,/<!-- readme-smoke:end -->/p' README.md | sed '/^```/d;/<!--/d' > "$work/quickstart.sh"
output=$(bash -euo pipefail "$work/quickstart.sh")
echo "$output"
echo "$output" | tail -1 | grep -q '"status":"completed"' || { echo "the README's call did not end completed" >&2; exit 1; }
echo "README quick start: OK"
