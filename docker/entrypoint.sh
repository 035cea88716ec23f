#!/bin/sh
# Container start of the Contact Center API (the image's ENTRYPOINT; scripts/entrypoint-check.sh runs it outside
# Docker in CI). Configuration comes from the environment only (README "Configuration"):
#
#   entrypoint.sh [serve]          apply database migrations, then run the service (exec: it receives the signals)
#   entrypoint.sh migrate          apply database migrations and exit
#   entrypoint.sh create-user ...  the jar's own subcommands
#   entrypoint.sh <program> ...    anything else is run as is (e.g. sh for debugging)
#
# Environment of this script (besides the service's own variables):
#   APP_JAR            the fat jar                         (default /app/contact-center-api.jar)
#   JAVA_OPTS          JVM flags                           (default: container-aware heap, see below)
#   MIGRATE_ON_START   false to skip the migrate step      (default true; serve migrates too, this makes it explicit
#                      and stops the container with the migration's own error before the service starts)
set -eu

APP_JAR=${APP_JAR:-/app/contact-center-api.jar}
# The JVM sizes its heap from the container's memory limit (cgroups): 75 % of it, leaving room for metaspace,
# threads and direct buffers (Netty); exit at once on OutOfMemoryError so the orchestrator restarts the container.
JAVA_OPTS=${JAVA_OPTS:--XX:MaxRAMPercentage=75.0 -XX:InitialRAMPercentage=25.0 -XX:+ExitOnOutOfMemoryError}
JAVA=${JAVA:-java}
# The image's class-data archive (AppCDS, written by a training start when the image is built): the classes a start
# loads come mapped from it instead of being read, parsed and verified from the jar (about a third less CPU per
# start, docs/PERFORMANCE.md). A JVM that cannot use it (another JDK) starts without it. JAVA_OPTS naming -Xshare or
# an archive of its own decides instead.
cds_archive=${APP_JAR%.jar}.jsa
case "$JAVA_OPTS" in
  *Xshare* | *SharedArchiveFile*) ;;
  *) [ -r "$cds_archive" ] && JAVA_OPTS="$JAVA_OPTS -XX:SharedArchiveFile=$cds_archive -Xshare:auto" ;;
esac

log() { printf 'entrypoint: %s\n' "$*" >&2; }

[ -r "$APP_JAR" ] || { log "no jar at APP_JAR=$APP_JAR"; exit 1; }

if [ -z "${DATABASE_URL:-}" ]; then
  log "DATABASE_URL is not set: the service runs its embedded PostgreSQL under DATA_DIR=${DATA_DIR:-./data} (keep it on a volume)"
elif [ -z "${SECRET_KEY:-}" ]; then
  log "SECRET_KEY is required with DATABASE_URL (generate one: openssl rand -hex 32)"
  exit 2
fi

command=${1:-serve}
[ $# -gt 0 ] && shift

# JAVA_OPTS is a list of flags: split it on purpose.
case "$command" in
  serve)
    # With the embedded database, serve itself migrates before it opens the port; a separate migrate run
    # would only start and stop PostgreSQL once more.
    if [ "${MIGRATE_ON_START:-true}" = "true" ] && [ -n "${DATABASE_URL:-}" ]; then
      log "applying database migrations"
      # shellcheck disable=SC2086
      "$JAVA" $JAVA_OPTS -jar "$APP_JAR" migrate
    fi
    log "starting the service"
    # shellcheck disable=SC2086
    exec "$JAVA" $JAVA_OPTS -jar "$APP_JAR" serve
    ;;
  migrate | create-user | help | -h | --help)
    # shellcheck disable=SC2086
    exec "$JAVA" $JAVA_OPTS -jar "$APP_JAR" "$command" "$@"
    ;;
  *)
    exec "$command" "$@"
    ;;
esac
