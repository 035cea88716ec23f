# Contact Center API image: `docker build -t contact-center-api .` (or `docker compose build`).
# Configuration comes from the environment only (README "Configuration", .env.example); nothing secret is in the image.

# ---- build: the fat jar, without tests (CI runs them) and without the test-time client generation
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml openapi.yaml ./
COPY conf/config.json conf/
COPY src/main src/main
# The jar carries the embedded PostgreSQL's binaries for several platforms (zero-config run); the image needs only
# its own: pg.platforms=linux-amd64 or linux-arm64 from BuildKit's TARGETARCH (empty with the legacy builder: all).
ARG TARGETARCH
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q package -Dmaven.test.skip=true -Dcodegen.skip=true -Dpg.platforms=linux-${TARGETARCH} \
 && cp target/contact-center-api.jar /contact-center-api.jar

# ---- runtime: a JRE, curl for the health check, an unprivileged user
FROM eclipse-temurin:17-jre-noble
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
 && mkdir -p /app /data \
 && chown app:app /app /data
WORKDIR /app
COPY --from=build /contact-center-api.jar /app/contact-center-api.jar
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/entrypoint.sh

# DATA_DIR holds the embedded database and generated secret when DATABASE_URL/SECRET_KEY are not given:
# mount a volume there, or (production) set DATABASE_URL and SECRET_KEY.
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8000 \
    DATA_DIR=/data \
    LOG_FORMAT=json \
    APP_JAR=/app/contact-center-api.jar
VOLUME ["/data"]
EXPOSE 8000
USER 10001:10001

# Class-data archive (AppCDS) of what a start loads, built by this image's own JVM: one training start with the
# embedded database and the sandbox, stopped once healthy (the JVM writes the archive as it exits). The entrypoint
# uses it when present; a failed training only leaves the image without it (about a third more CPU per start).
RUN DATA_DIR=/tmp/cds-training ARI_SANDBOX=true HTTP_HOST=127.0.0.1 HTTP_PORT=8099 \
    ADMIN_PASSWORD=cds-training-only sh -c '\
      java -XX:ArchiveClassesAtExit=/app/contact-center-api.jsa -jar /app/contact-center-api.jar >/tmp/cds.log 2>&1 & \
      pid=$!; for i in $(seq 1 180); do curl -fsS http://127.0.0.1:8099/health >/dev/null 2>&1 && break; sleep 1; done; \
      kill -TERM $pid; wait $pid; rm -rf /tmp/cds-training /tmp/cds.log; test -s /app/contact-center-api.jsa' \
 || echo "AppCDS training start failed: the image starts without a class-data archive"

HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS "http://127.0.0.1:${HTTP_PORT}/health/live" >/dev/null || exit 1

ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["serve"]
