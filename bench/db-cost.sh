#!/usr/bin/env bash
# PostgreSQL's CPU per call on the service's write path, without the service or Asterisk (docs/PERFORMANCE.md,
# "PostgreSQL's cost per call, statement by statement"): the persistence verticle's creation and transition
# statements in fixed batches on an embedded PostgreSQL, the migrations as they are against each variant given.
#
#   bench/db-cost.sh [busy|answered] [calls per variant] [creations per statement] [transitions per statement]
#                    [users] [variant.sql ...]
#   e.g. bench/db-cost.sh busy 6000 3 4 8 /tmp/without-fencing.sql
#   BENCH_PG_STATS=1 bench/db-cost.sh ...: also prints each variant's calls statement by statement (pg_stat_statements,
#            the statements inside functions and triggers included, and the functions' own time); the extension
#            costs CPU itself, so compare CPU figures only between runs made the same way
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  echo "db-cost: building the classes" >&2
  mvn -B -q ${MAVEN_OFFLINE:+-o} test-compile >&2
fi
[[ -f target/bench.classpath ]] || mvn -B -q ${MAVEN_OFFLINE:+-o} dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
exec java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  -Dlogback.configurationFile="$PWD/bench/logback-bench.xml" \
  dev.contactcenter.persistence.CallPathCostProbe "$@"
