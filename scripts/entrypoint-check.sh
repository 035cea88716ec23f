#!/usr/bin/env bash
# Runs the container's start path outside Docker, as docker-compose.yml runs it: docker/entrypoint.sh with only
# the environment compose gives the api service (DATABASE_URL to a real PostgreSQL, SECRET_KEY, ...), from a
# working directory without conf/ (the image has none), as an unprivileged user when run as root (the image runs
# as uid 10001). Checks that:
#   - the entrypoint refuses DATABASE_URL without SECRET_KEY, before starting Java;
#   - `serve` migrates first (Flyway history in the database), then execs the JVM (same pid, signals reach it);
#   - /health/live and /health answer 200, and the Dockerfile's HEALTHCHECK command passes;
#   - SIGTERM stops the service within 20 s.
# PostgreSQL is a throw-away cluster of Debian's PostgreSQL 15 binaries (PG_BIN) on a free loopback port.
# Leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -f target/contact-center-api.jar ] || { echo "build the jar first: mvn -B package -DskipTests" >&2; exit 1; }
[ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server binaries in $PG_BIN (apt-get install postgresql-15)" >&2; exit 1; }

log() { printf 'entrypoint-check: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; [ -f "${work:-}/service.log" ] && tail -40 "$work/service.log" >&2; exit 1; }
# Ports outside the ephemeral range, so that no outgoing connection takes one before its server binds it.
free_port() { python3 scripts/free-port.py; }

# As root, PostgreSQL (which refuses root) and the service run as `nobody`, like the image's unprivileged user.
# setpriv execs (no intermediate process), so the entrypoint's pid is the one we started.
as_user=()
if [ "$(id -u)" -eq 0 ]; then
  as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi
as_user() { "${as_user[@]}" "$@"; }

work=$(mktemp -d /tmp/cc-entrypoint.XXXXXX)
chmod 755 "$work"
service_pid=""
cleanup() {
  set +e
  if [ -n "$service_pid" ] && kill "$service_pid" 2>/dev/null; then
    wait "$service_pid" 2>/dev/null
  fi
  [ -f "$work/pg/postmaster.pid" ] && as_user "$PG_BIN/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# ---- the image's file layout: /app/contact-center-api.jar, the entrypoint, no conf/ next to it
mkdir -p "$work/app" "$work/data" "$work/pg" "$work/sock"
cp target/contact-center-api.jar "$work/app/"
cp docker/entrypoint.sh "$work/entrypoint.sh"
[ "$(id -u)" -eq 0 ] && chown -R nobody "$work/app" "$work/data" "$work/pg" "$work/sock"

# ---- a throw-away PostgreSQL, password-authenticated over TCP like the compose service
pg_port=$(free_port)
db_password=$(openssl rand -hex 16)
printf '%s\n' "$db_password" >"$work/pwfile"
chmod 644 "$work/pwfile"
as_user "$PG_BIN/initdb" -D "$work/pg" -U contact_center --pwfile="$work/pwfile" --auth-host=scram-sha-256 \
  --auth-local=trust -E UTF8 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb"; }
as_user "$PG_BIN/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" -w \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $work/sock" start >/dev/null || die "PostgreSQL did not start"
PSQL=$PG_BIN/psql
[ -x "$PSQL" ] || PSQL=psql
as_user "$PSQL" -h "$work/sock" -p "$pg_port" -U contact_center -d postgres -qAtc "CREATE DATABASE contact_center" >/dev/null
psql_db() { as_user "$PSQL" -h "$work/sock" -p "$pg_port" -U contact_center -d contact_center -qAtc "$1"; }

api_port=$(free_port)
base_env=(PATH="$PATH" HOME="$work/app" LANG=C.UTF-8
  APP_JAR="$work/app/contact-center-api.jar"
  HTTP_HOST=127.0.0.1 HTTP_PORT="$api_port" DATA_DIR="$work/data" LOG_FORMAT=json
  DATABASE_URL="postgresql://contact_center:$db_password@127.0.0.1:$pg_port/contact_center"
  ARI_SANDBOX=true
  ADMIN_PASSWORD=entrypoint-check-admin-password
  JAVA_OPTS="-XX:MaxRAMPercentage=25.0 -XX:+ExitOnOutOfMemoryError")

# ---- 1. DATABASE_URL without SECRET_KEY is refused by the entrypoint itself
set +e
(cd "$work/app" && as_user env -i "${base_env[@]}" sh "$work/entrypoint.sh" serve) >"$work/refused.log" 2>&1
code=$?
set -e
[ "$code" = 2 ] || die "DATABASE_URL without SECRET_KEY: exit $code, expected 2 ($(cat "$work/refused.log"))"
grep -q "SECRET_KEY is required" "$work/refused.log" || die "no explanation for the missing SECRET_KEY"
log "ok: DATABASE_URL without SECRET_KEY refused before Java starts"

# ---- 2. serve: migrate, then exec the service
started=$(date +%s)
secret=$(openssl rand -hex 32)
(cd "$work/app" && exec "${as_user[@]}" env -i "${base_env[@]}" SECRET_KEY="$secret" sh "$work/entrypoint.sh") \
  >"$work/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$api_port/health/live" >/dev/null 2>&1 && break
  kill -0 "$service_pid" 2>/dev/null || die "the entrypoint exited"
  sleep 0.5
done
curl -sf "http://127.0.0.1:$api_port/health/live" >/dev/null || die "/health/live did not answer"
log "ok: /health/live answered after $(( $(date +%s) - started )) s"

grep -q "entrypoint: applying database migrations" "$work/service.log" || die "the entrypoint did not run migrate"
grep -q "Migrations applied: [1-9]" "$work/service.log" || die "migrate applied nothing on an empty database"
[ "$(psql_db "SELECT count(*) FROM flyway_schema_history WHERE success")" -ge 1 ] || die "no Flyway history"
log "ok: migrations applied by the migrate step ($(psql_db "SELECT max(version) FROM flyway_schema_history WHERE success") is the schema version)"

# exec: the pid started for the entrypoint is the JVM now, not a shell waiting for it.
comm=$(cat "/proc/$service_pid/comm" 2>/dev/null || true)
[ "$comm" = java ] || die "the entrypoint did not exec the JVM (pid $service_pid is '$comm')"
owner=$(stat -c %U "/proc/$service_pid")
log "ok: the entrypoint exec'd the JVM as $owner (signals go to Java directly)"

health=$(curl -s -w ' %{http_code}' "http://127.0.0.1:$api_port/health")
case "$health" in
  *'"database":{"status":"up"'*' 200') ;;
  *) die "/health: $health" ;;
esac
log "ok: /health 200 with the database up"

# The Dockerfile's own HEALTHCHECK command, with the variables the image sets.
healthcheck=$(sed -n '/^HEALTHCHECK/,/^ *CMD/p' Dockerfile | sed -n 's/^ *CMD //p')
[ -n "$healthcheck" ] || die "no HEALTHCHECK CMD in the Dockerfile"
HTTP_PORT=$api_port sh -c "$healthcheck" || die "the Dockerfile's HEALTHCHECK failed: $healthcheck"
log "ok: the Dockerfile's HEALTHCHECK passes ($healthcheck)"

token=$(curl -s -X POST "http://127.0.0.1:$api_port/api/v2/token" -d username=admin \
  -d password=entrypoint-check-admin-password | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ||
  die "no token from the admin created from ADMIN_PASSWORD"
[ -n "$token" ] || die "empty token"
log "ok: ADMIN_PASSWORD from the environment created the admin"

# ---- 3. SIGTERM (docker stop) ends the service
stop_started=$(date +%s)
kill -TERM "$service_pid"
for _ in $(seq 1 40); do
  kill -0 "$service_pid" 2>/dev/null || break
  sleep 0.5
done
if kill -0 "$service_pid" 2>/dev/null; then
  die "the service was still running 20 s after SIGTERM"
fi
wait "$service_pid" 2>/dev/null || true
service_pid=""
log "ok: SIGTERM stopped the service in $(( $(date +%s) - stop_started )) s"
echo "entrypoint check (docker/entrypoint.sh outside Docker, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')): OK"
