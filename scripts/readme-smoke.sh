#!/usr/bin/env bash
# Runs the README's quick start as written: starts the packaged jar on its embedded defaults (fresh DATA_DIR,
# the README's ADMIN_PASSWORD), runs the README's curl block (between the readme-smoke markers) and checks
# that the call it places ends `completed`. The README says port 8000; this runs on a free port instead (the
# block's 8000 is substituted) so it never talks to another service already on 8000. Then checks what a newcomer
# meets next: the banner says it listens on loopback only, and a second start on the same port fails with one
# line naming the port and HTTP_PORT. Leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
jar=target/contact-center-api.jar
[ -f "$jar" ] || { echo "build the jar first: mvn -B package -DskipTests" >&2; exit 1; }

work=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

port=$(python3 scripts/free-port.py)
base="http://localhost:$port"
if curl -s -o /dev/null --max-time 2 "$base/health"; then
  echo "something already answers on $base" >&2; exit 1
fi

# The README's run command sets ADMIN_PASSWORD; read it from there so both stay in sync.
admin_password=$(grep -o 'ADMIN_PASSWORD=[^ ]*' README.md | head -1 | cut -d= -f2)
(cd "$work" && HTTP_PORT="$port" ADMIN_PASSWORD="$admin_password" exec java -jar "$OLDPWD/$jar" >"$work/service.log" 2>&1) &
pid=$!
for _ in $(seq 1 120); do
  curl -sf "$base/health" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.5
done
curl -sf "$base/health" >/dev/null || { cat "$work/service.log"; echo "service did not become healthy" >&2; exit 1; }

# The README's curl block, verbatim but for the port.
sed -n '/<!-- readme-smoke:start -->/,/<!-- readme-smoke:end -->/p' README.md | sed '/^```/d;/<!--/d' \
  | sed "s#http://localhost:8000#$base#g" > "$work/quickstart.sh"
grep -q 'localhost:8000' "$work/quickstart.sh" && { echo "the README's block uses port 8000 in a form not substituted" >&2; exit 1; }
output=$(bash -euo pipefail "$work/quickstart.sh")
echo "$output"
echo "$output" | tail -1 | grep -q '"status":"completed"' || { echo "the README's call did not end completed" >&2; exit 1; }

# Zero-config is reachable from this machine only, and says so.
grep -q "Listens: 127.0.0.1:$port (this machine only" "$work/service.log" \
  || { cat "$work/service.log"; echo "the banner does not say it listens on 127.0.0.1 only" >&2; exit 1; }

# A second start on the same port: one line, naming the port and HTTP_PORT, exit 1, nothing else.
set +e
(cd "$work" && HTTP_PORT="$port" DATA_DIR="$work/second" timeout 60 java -jar "$OLDPWD/$jar" >"$work/second.out" 2>"$work/second.err")
status=$?
set -e
lines=$(grep -c . "$work/second.err" || true)
if [ "$status" -ne 1 ] || [ "$lines" -ne 1 ] || ! grep -q "port $port .*HTTP_PORT" "$work/second.err"; then
  echo "second start on a taken port: exit $status, stderr:" >&2; cat "$work/second.err" "$work/second.out" >&2; exit 1
fi
echo "second start on port $port: $(cat "$work/second.err")"
echo "README quick start: OK"
