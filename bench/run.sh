#!/usr/bin/env bash
# Benchmarks of the Contact Center API (see README, "Performance").
#
#   bench/run.sh                 every scenario, 3 runs each (about 15 minutes)
#   bench/run.sh status scale    only these scenarios
#   bench/run.sh smoke           every scenario once, briefly (seconds): asserts no lost/stuck/wrong call, never speed
#   options: --runs N, --jfr (records the service with JFR under bench/results/jfr/; BENCH_JFR_SETTINGS=<file.jfc>
#            replaces the JDK's 'profile' settings, e.g. to sample methods every 1 ms)
#   BENCH_SERVICE_JVM_OPTIONS="-XX:..." bench/run.sh ...: JVM options for the service, to measure a JVM setting (the
#            result file names them)
#   BENCH_PG_STATS=1 bench/run.sh ingest originate: also prints PostgreSQL's cost per call, statement by statement
#            (pg_stat_statements incl. trigger statements and planning, trigger functions, HOT updates, WAL, commits)
#
# Scenarios: status originate ingest asterisk freshness scale restart rows startup webhooks faults dispatch cluster. The
# harness (a Java load generator in src/test/java/dev/contactcenter/bench, never in the jar) starts its own
# PostgreSQL, the service from target/contact-center-api.jar, and for asterisk/freshness the test Asterisk (scripts/asterisk.sh; root needed;
# ASTERISK_ROOT picks another provisioned root). It prints a Markdown table and writes it to bench/results/.
# Exit status: 0, or 1 when a call was lost, stuck or ended in the wrong state. Everything it started is stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$PWD

if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
  echo "bench: building the jar and the harness" >&2
  mvn -B -q ${MAVEN_OFFLINE:+-o} package -DskipTests >&2
  mvn -B -q ${MAVEN_OFFLINE:+-o} test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath \
    -Dmdep.includeScope=test >&2
fi
# BENCH_SKIP_BUILD=1 (CI, right after mvn verify built the jar and the test classes): only the classpath is missing.
[[ -f target/bench.classpath ]] || mvn -B -q ${MAVEN_OFFLINE:+-o} dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
[[ -f target/contact-center-api.jar && -d target/test-classes/dev/contactcenter/bench ]] ||
  { echo "bench: build first (mvn -B package -DskipTests && mvn -B test-compile), or run without BENCH_SKIP_BUILD" >&2; exit 1; }

pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true   # the harness's shutdown hook stops the service, PostgreSQL, Asterisk
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PROJECT_DIR=$project java -Xms256m -Xmx1g -XX:+UseParallelGC \
  -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" \
  -Dlogback.configurationFile="$project/bench/logback-bench.xml" \
  dev.contactcenter.bench.Bench "$@" &
pid=$!
wait "$pid"
