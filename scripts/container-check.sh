#!/usr/bin/env bash
# The container files checked on a real engine (issue 14), from the repository's own unmodified files:
#   engine     its own dockerd (Debian bookworm's docker.io, own data-root, exec-root, socket and pidfile), stopped
#              by pid at the end, its docker0 bridge and netns mounts removed, also on failure;
#   standins   the base images the files name, built locally under their exact names from Debian packages only
#              (docker/ci-standins/: no registry is reachable here), cached, rebuilt when their recipe changes;
#   build      contact-center-api and contact-center-asterisk from Dockerfile and docker/asterisk/Dockerfile;
#   alone      the api image alone: embedded mode on a volume, uid 10001, /health, HEALTHCHECK healthy, the token
#              flow with the password it printed, a call, `docker stop` clean, a restart keeps the data;
#   limits     the same image with --memory 512m, --read-only and a tmpfs /tmp under a load of calls: no OOM kill,
#              the JVM's max heap sized from the limit;
#   compose    `docker compose up` with a .env made from .env.example: healthy, the README's curl block, down -v;
#   asterisk   `docker compose --profile asterisk up`: a call to the seed's number completes through the real
#              Asterisk container;
#   secrets    no value of the .env (present in the build context during the build) in any image layer or in
#              `docker history`;
#   cluster    (optional, not in the default list: ~2 more JVMs and an Asterisk, several minutes on two cores)
#              `docker compose --profile cluster up -d api-1 api-2`: both nodes see each other, each Asterisk has
#              exactly one owner, a call through each node completes, then the owner of pbx-1 is killed
#              (SIGKILL) and the other node owns both servers and completes a call (figures: takeover time, time to
#              the first accepted call).
# Usage: scripts/container-check.sh [PHASE...]   (default: all but cluster, in the order above; engine always runs)
# Runs as root (CI: .ci/run). Cache (engine data-root, stand-ins, compose plugin) in CONTAINER_CHECK_CACHE
# (default /var/cache/contact-center-api/containers), outside the repository. Ports: 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)

readonly CACHE=${CONTAINER_CHECK_CACHE:-/var/cache/contact-center-api/containers}
# exec-root and socket: short paths (unix socket paths are limited to 108 bytes).
readonly RUN_DIR=/run/cc-container-check
readonly DOCKER=/usr/bin/docker # Debian's 20.10 CLI drives the daemon's BuildKit; a newer CLI on PATH wants buildx
readonly PREFIX=cccheck
readonly RECIPE_LABEL=org.contact-center.standin-recipe
readonly SEED_NUMBER=+1234567890
export DOCKER_HOST=unix://$RUN_DIR/docker.sock
export DOCKER_CONFIG=$CACHE/cli
export DOCKER_BUILDKIT=1 BUILDKIT_PROGRESS=plain
export DEBIAN_FRONTEND=noninteractive

started=$(date +%s)
log() { printf '[container-check %4ss] %s\n' "$(($(date +%s) - started))" "$*" >&2; }
die() {
  log "FAILED: $*"
  exit 1
}
# Figures and phase times go to files (read by cleanup, also after a failure in a subshell).
figure() {
  echo "$*" >>"$work/figures"
  log "figure: $*"
}
phase() { # name, description, function
  local t0
  t0=$(date +%s)
  log "==> $2"
  "$3"
  echo "$1 $(($(date +%s) - t0))s" >>"$work/phase-times"
}

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and runs its own dockerd)"
if [ $# -eq 0 ]; then
  set -- standins build alone limits compose asterisk secrets
fi
phases=" $* "
wants() { [[ $phases == *" $1 "* ]]; }

mkdir -p "$CACHE" "$RUN_DIR"
exec 9>"$CACHE/.lock"
flock -n 9 || die "another container-check is running ($CACHE/.lock)"
work=$(mktemp -d /tmp/cc-container-check.XXXXXX)
engine_pid=""
created_dotenv=false

# ---------------------------------------------------------------- helpers
# Ports outside the ephemeral range, so that no outgoing connection takes one before its server binds it.
free_port() { python3 scripts/free-port.py "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
mirror() {
  local uri
  uri=$(grep -rhoE '^(deb|URIs:) +\[?[^]]*\]? *https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null |
    grep -oE 'https?://[^ ]+/debian/?' | head -1 || true)
  printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Logs of every container of this check: the one that failed is among them, with its health probes.
dump_containers() {
  local id name
  for id in $($DOCKER ps -aq 2>/dev/null); do
    name=$($DOCKER inspect -f '{{.Name}}' "$id" 2>/dev/null | tr -d /)
    echo "----- container $name: $($DOCKER inspect -f 'status={{.State.Status}} exit={{.State.ExitCode}} oom={{.State.OOMKilled}} health={{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id" 2>/dev/null)" >&2
    $DOCKER inspect -f '{{if .State.Health}}{{range .State.Health.Log}}probe exit {{.ExitCode}}: {{.Output}}{{end}}{{end}}' "$id" >&2 2>/dev/null || true
    $DOCKER logs --tail 200 "$id" >&2 2>&1 || true
  done
}

stop_engine() {
  [ -n "$engine_pid" ] || return 0
  local bridges=() net
  for net in $($DOCKER network ls -q --filter driver=bridge 2>/dev/null); do
    bridges+=("$($DOCKER network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' "$net" 2>/dev/null || true)")
    bridges+=("br-${net:0:12}")
  done
  kill -TERM "$engine_pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$engine_pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$engine_pid" 2>/dev/null; then
    log "dockerd (pid $engine_pid) did not stop in 30 s: killing it"
    kill -KILL "$engine_pid" 2>/dev/null || true
  fi
  wait "$engine_pid" 2>/dev/null || true
  engine_pid=""
  # What dockerd leaves behind: netns bind mounts under its exec-root, the docker0 bridge (and compose bridges
  # of networks a failure left).
  grep -oE " ($RUN_DIR|$CACHE/engine)/[^ ]*" /proc/mounts | sort -r | while read -r mountpoint; do
    umount -l "$mountpoint" 2>/dev/null || true
  done
  for bridge in docker0 "${bridges[@]}"; do
    if [ -n "$bridge" ] && ip link show "$bridge" >/dev/null 2>&1; then
      ip link delete "$bridge" 2>/dev/null || true
    fi
  done
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$engine_pid" ]; then
    if [ "$rc" != 0 ]; then
      log "failed: logs of the check's containers follow"
      dump_containers
    fi
    $DOCKER ps -aq | xargs -r $DOCKER rm -f >/dev/null 2>&1
    $DOCKER volume ls -q --filter name="$PREFIX" | xargs -r $DOCKER volume rm -f >/dev/null 2>&1
    $DOCKER network prune -f >/dev/null 2>&1
    $DOCKER image prune -f >/dev/null 2>&1
  fi
  if [ "$rc" != 0 ] && [ -s "$work/dockerd.log" ]; then
    log "dockerd log (last 30 lines):"
    tail -30 "$work/dockerd.log" >&2
  fi
  stop_engine
  [ "$created_dotenv" = true ] && rm -f "$project/.env"
  log "engine stopped, bridge and mounts removed"
  [ -s "$work/phase-times" ] && log "phase times: $(tr '\n' ' ' <"$work/phase-times")"
  if [ "$rc" = 0 ]; then
    log "figures:"
    sed 's/^/  /' "$work/figures" >&2 2>/dev/null
    log "container check: OK in $(($(date +%s) - started)) s"
  else
    log "container check: FAILED after $(($(date +%s) - started)) s"
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_healthy() { # container, seconds -> prints seconds waited
  local container=$1 limit=$2 t0 status
  t0=$(date +%s)
  while :; do
    status=$($DOCKER inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$container")
    [ "$status" = healthy ] && break
    [ "$($DOCKER inspect -f '{{.State.Running}}' "$container")" = true ] || die "$container stopped ($status)"
    [ $(($(date +%s) - t0)) -lt "$limit" ] || die "$container not healthy after ${limit}s ($status)"
    sleep 1
  done
  echo $(($(date +%s) - t0))
}

wait_http() { # url, seconds[, container that must keep running] -> prints milliseconds waited
  local url=$1 limit=$2 container=${3:-} t0
  t0=$(date +%s%N)
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    [ $((($(date +%s%N) - t0) / 1000000000)) -lt "$limit" ] || die "$url did not answer 200 within ${limit}s"
    if [ -n "$container" ] && [ "$($DOCKER inspect -f '{{.State.Running}}' "$container")" != true ]; then
      die "$container stopped (exit $($DOCKER inspect -f '{{.State.ExitCode}}' "$container")) before $url answered"
    fi
    sleep 0.3
  done
  echo $((($(date +%s%N) - t0) / 1000000))
}

token() { # base, user, password
  curl -fsS -X POST "$1/api/v2/token" -d grant_type=password -d username="$2" --data-urlencode password="$3" |
    json 'd["access_token"]'
}

place_call() { # base, token -> call id
  curl -fsS -X POST "$1/api/v2/interaction/$SEED_NUMBER" -H "Authorization: Bearer $2" | json 'd["call_id"]'
}

wait_call_status() { # base, token, call id, expected status, seconds
  local status=""
  for _ in $(seq 1 "$5"); do
    status=$(curl -fsS "$1/api/v2/status/$3" -H "Authorization: Bearer $2" | json 'd["status"]')
    [ "$status" = "$4" ] && return 0
    sleep 1
  done
  die "call $3 is '$status' after $5 s, expected $4"
}

# ---------------------------------------------------------------- engine
install_tools() {
  local need=() policy=/usr/sbin/policy-rc.d created=false
  [ -x /usr/bin/docker ] && command -v dockerd >/dev/null || need+=(docker.io)
  command -v tini >/dev/null || need+=(tini)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  command -v ip >/dev/null || need+=(iproute2)
  command -v curl >/dev/null || need+=(curl)
  command -v openssl >/dev/null || need+=(openssl)
  command -v python3 >/dev/null || need+=(python3)
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    apt-get update -qq
    # No init system here: keep the packages from starting their daemons (this script runs its own dockerd).
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created=true
    fi
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    [ "$created" = true ] && rm -f "$policy"
  fi
  # Compose v2: the plugin from Debian trixie's docker-compose package (bookworm has only compose v1).
  local plugin=$DOCKER_CONFIG/cli-plugins/docker-compose
  if [ ! -x "$plugin" ]; then
    local apt_dir=$CACHE/apt-trixie
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$(dirname "$plugin")"
    echo "deb $(mirror) trixie main" >"$apt_dir/sources.list"
    local apt_opts=(-o Dir::Etc::SourceList="$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" -o APT::Sandbox::User=root)
    log "fetching docker-compose (v2) from Debian trixie"
    apt-get "${apt_opts[@]}" update -qq
    rm -f "$apt_dir/debs"/*.deb
    (cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" download -qq docker-compose)
    rm -rf "$work/compose-deb"
    dpkg-deb -x "$apt_dir/debs"/docker-compose_*.deb "$work/compose-deb"
    install -m 0755 "$work/compose-deb/usr/libexec/docker/cli-plugins/docker-compose" "$plugin"
  fi
}

start_engine() {
  local old
  old=$(cat "$RUN_DIR/docker.pid" 2>/dev/null || true)
  if [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" = dockerd ]; then
    log "stopping the dockerd a previous run left (pid $old)"
    engine_pid=$old
    stop_engine
  fi
  local init_path
  init_path=$(command -v docker-init || command -v tini-static || command -v tini)
  cat >"$CACHE/daemon.json" <<JSON
{
  "data-root": "$CACHE/engine",
  "exec-root": "$RUN_DIR/exec",
  "pidfile": "$RUN_DIR/docker.pid",
  "hosts": ["unix://$RUN_DIR/docker.sock"],
  "storage-driver": "overlay2",
  "iptables": false,
  "ip-masq": false,
  "bip": "172.30.255.1/24",
  "default-address-pools": [{"base": "172.30.0.0/17", "size": 24}],
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "features": {"buildkit": true},
  "init-path": "$init_path",
  "shutdown-timeout": 15,
  "builder": {"gc": {"enabled": true, "defaultKeepStorage": "6GB"}}
}
JSON
  dockerd --config-file "$CACHE/daemon.json" >"$work/dockerd.log" 2>&1 9>&- &
  engine_pid=$!
  for _ in $(seq 1 120); do
    $DOCKER version >/dev/null 2>&1 && break
    kill -0 "$engine_pid" 2>/dev/null || die "dockerd exited: $(tail -5 "$work/dockerd.log")"
    sleep 0.5
  done
  $DOCKER version >/dev/null 2>&1 || die "dockerd did not answer within 60 s"
  log "engine up: dockerd $($DOCKER version -f '{{.Server.Version}}') (pid $engine_pid), compose $($DOCKER compose version --short)"
  # Leftovers of an interrupted run.
  $DOCKER ps -aq | xargs -r $DOCKER rm -f >/dev/null
  $DOCKER volume ls -q --filter name="$PREFIX" | xargs -r $DOCKER volume rm -f >/dev/null
  $DOCKER network prune -f >/dev/null
}

# ---------------------------------------------------------------- base-image stand-ins
label_of() { $DOCKER image inspect -f "{{index .Config.Labels \"$RECIPE_LABEL\"}}" "$1" 2>/dev/null || true; }

build_root() { # suite -> the root's recipe hash
  local suite=$1 tag=cc-standin-root:$1 hash dir mirror_url
  mirror_url=$(mirror)
  hash=$(printf 'debootstrap --variant=minbase %s %s; policy-rc.d 101; docker-clean; no-languages; unsafe-io; slim; v2' "$suite" "$mirror_url" | sha256sum | cut -c1-16)
  if [ "$(label_of "$tag")" != "$hash" ]; then
    log "building the $suite root (debootstrap minbase from $mirror_url)"
    dir=$CACHE/roots/$suite
    rm -rf "$dir"
    mkdir -p "$dir"
    debootstrap --variant=minbase --components=main "$suite" "$dir" "$mirror_url" >"$work/debootstrap-$suite.log" 2>&1 ||
      die "debootstrap $suite: $(tail -5 "$work/debootstrap-$suite.log")"
    # As in Debian's own images (debuerreotype): no service starts inside a container build, apt keeps no
    # package cache in the layers, dpkg skips fsync; as in the slim and Ubuntu images: no docs, man pages, locales.
    printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
    chmod 755 "$dir/usr/sbin/policy-rc.d"
    local clean='"rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"'
    printf 'DPkg::Post-Invoke { %s; };\nAPT::Update::Post-Invoke { %s; };\nDir::Cache::pkgcache "";\nDir::Cache::srcpkgcache "";\n' \
      "$clean" "$clean" >"$dir/etc/apt/apt.conf.d/docker-clean"
    echo 'Acquire::Languages "none";' >"$dir/etc/apt/apt.conf.d/docker-no-languages"
    echo 'force-unsafe-io' >"$dir/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
    printf 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n' \
      >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim"
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb
    tar --numeric-owner -C "$dir" -c . | $DOCKER import -c 'CMD ["bash"]' -c "LABEL $RECIPE_LABEL=$hash" - "$tag" >/dev/null
    rm -rf "$dir"
  fi
  echo "$hash"
}

root_job() { build_root "$1" >"$2"; }
recipe_field() { sed -n "s/^# $2: *//p" "$1/Dockerfile"; }

build_standin() { # recipe dir, image name, hash
  local ctx=$work/ctx-$3
  rm -rf "$ctx" && cp -r "$1" "$ctx" && cp -r "$work/certs" "$ctx/certs"
  $DOCKER build --network host --label "$RECIPE_LABEL=$3" -t "$2" "$ctx" >"$work/standin-$3.log" 2>&1 ||
    die "stand-in $2: $(tail -30 "$work/standin-$3.log")"
}

# Runs "$@" in the background for each job, then waits for all of them; fails if one failed.
jobs_pids=()
spawn() {
  "$@" &
  jobs_pids+=($!)
}
join() {
  local pid failed=0
  for pid in "${jobs_pids[@]}"; do
    wait "$pid" || failed=1
  done
  jobs_pids=()
  [ "$failed" = 0 ] || die "$1"
}

build_standins() {
  local recipe name suite hash
  mkdir -p "$work/certs"
  cp /usr/local/share/ca-certificates/*.crt "$work/certs/" 2>/dev/null || true
  # The roots first (debootstrap, in parallel), then every stand-in whose recipe hash changed (in parallel).
  for suite in $(for recipe in docker/ci-standins/*/; do recipe_field "$recipe" root; done | sort -u); do
    spawn root_job "$suite" "$work/root-$suite.hash"
  done
  join "building the Debian roots"
  for recipe in docker/ci-standins/*/; do
    recipe=${recipe%/}
    name=$(recipe_field "$recipe" stands-in-for)
    suite=$(recipe_field "$recipe" root)
    if [ -z "$name" ] || [ -z "$suite" ] || [ ! -s "$work/root-$suite.hash" ]; then
      die "$recipe/Dockerfile lacks its '# stands-in-for:' or '# root:' line"
    fi
    hash=$( (
      cd "$recipe" && find . -type f -print0 | sort -z | xargs -0 sha256sum
      cd "$work/certs" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum
      cat "$work/root-$suite.hash"
    ) | sha256sum | cut -c1-16)
    if [ "$(label_of "$name")" = "$hash" ]; then
      log "stand-in $name: cached ($hash)"
    else
      log "stand-in $name: building ($hash) from $recipe"
      spawn build_standin "$recipe" "$name" "$hash"
    fi
  done
  join "building the stand-ins"
  # Every image the project's files name must have a stand-in, or the build would try a registry.
  local image
  for image in $(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile docker/asterisk/Dockerfile) \
    $(sed -n 's/^ *image: *\([^$ ]*\) *$/\1/p' docker-compose.yml); do
    [ "$(label_of "$image")" != "" ] || die "no stand-in for $image (named by the project's files): add one under docker/ci-standins/"
  done
}

# ---------------------------------------------------------------- project images
# The .env of the checks, made from .env.example. During the build it also lies in the build context (the
# repository root, where operators keep theirs) unless one is there already: the secrets phase proves that none
# of its values reaches an image.
make_env() {
  local admin_password
  admin_password=$(grep -o 'ADMIN_PASSWORD=[^ ]*' README.md | head -1 | cut -d= -f2)
  sed -e "s|^POSTGRES_PASSWORD=$|POSTGRES_PASSWORD=$(openssl rand -hex 24)|" \
    -e "s|^SECRET_KEY=$|SECRET_KEY=$(openssl rand -hex 32)|" \
    -e "s|^ADMIN_PASSWORD=$|ADMIN_PASSWORD=$admin_password|" \
    -e "s|^#ARI_PASSWORD=$|#ARI_PASSWORD=$(openssl rand -hex 24)|" .env.example >"$work/env"
  if ! grep -q '^POSTGRES_PASSWORD=.' "$work/env" || ! grep -q '^SECRET_KEY=.' "$work/env"; then
    die ".env.example lacks an empty POSTGRES_PASSWORD= or SECRET_KEY= line"
  fi
}

build_image() { # tag, Dockerfile
  local t0 logfile=$work/build-${1%%:*}.log
  t0=$(date +%s)
  $DOCKER build --network host -t "$1" -f "$2" . >"$logfile" 2>&1 || die "docker build -f $2: $(tail -40 "$logfile")"
  log "built $1 from $2 in $(($(date +%s) - t0)) s"
}

build_images() {
  if [ ! -e .env ]; then
    cp "$work/env" .env
    created_dotenv=true
  fi
  local t0
  t0=$(date +%s)
  spawn build_image contact-center-api:local Dockerfile
  spawn build_image contact-center-asterisk:local docker/asterisk/Dockerfile
  join "building the project's images"
  figure "both images built (in parallel) in $(($(date +%s) - t0)) s"
  if [ "$created_dotenv" = true ]; then
    rm -f .env
    created_dotenv=false
  fi
  # The image's jar carries the embedded PostgreSQL of its own platform only (pom.xml: pg.platforms).
  local cid binaries own
  cid=$($DOCKER create contact-center-api:local)
  $DOCKER cp "$cid:/app/contact-center-api.jar" "$work/image.jar"
  $DOCKER rm "$cid" >/dev/null
  binaries=$(python3 -c 'import sys, zipfile; print(" ".join(sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.startswith("postgres-") and n.endswith(".txz"))))' "$work/image.jar")
  own=postgres-linux-$(uname -m | sed 's/aarch64/arm_64/').txz
  [ "$binaries" = "$own" ] || die "the image's jar carries PostgreSQL binaries '$binaries', expected only $own"
  figure "image jar: $(($(stat -c %s "$work/image.jar") / 1000000)) MB, embedded PostgreSQL binaries: $binaries only"
  local image base size base_size
  for image in contact-center-api:local contact-center-asterisk:local; do
    size=$($DOCKER image inspect -f '{{.Size}}' "$image")
    base=$(sed -n 's/^FROM \([^ ]*\) *$/\1/p' "$([ "$image" = contact-center-api:local ] && echo Dockerfile || echo docker/asterisk/Dockerfile)" | tail -1)
    base_size=$($DOCKER image inspect -f '{{.Size}}' "$base")
    figure "image size $image: $((size / 1000000)) MB, of which $(((size - base_size) / 1000000)) MB added over its base $base (stand-in: $((base_size / 1000000)) MB)"
  done
}

# ---------------------------------------------------------------- the api image alone
run_alone() {
  local port base name=$PREFIX-api t0 waited_ms password tok call_id uid stopped_ms exit_code
  port=$(free_port)
  base=http://127.0.0.1:$port
  $DOCKER volume create "$PREFIX-data" >/dev/null
  t0=$(date +%s%N)
  $DOCKER run -d --name "$name" -v "$PREFIX-data:/data" -p "127.0.0.1:$port:8000" contact-center-api:local >/dev/null
  waited_ms=$(wait_http "$base/health" 120 "$name")
  wait_healthy "$name" 120 >/dev/null
  figure "api alone, first start (initdb, migrations, admin user): /health 200 after $((waited_ms / 1000)).$((waited_ms % 1000 / 100)) s, HEALTHCHECK healthy after $((($(date +%s%N) - t0) / 1000000000)) s"
  uid=$($DOCKER exec "$name" id -u)
  [ "$uid" = 10001 ] || die "the service runs as uid $uid, expected 10001"
  [ "$($DOCKER exec "$name" stat -c %u /data/secret.key)" = 10001 ] || die "/data/secret.key is not owned by uid 10001"
  password=$($DOCKER logs "$name" 2>&1 | awk '/random password/ { getline; print $1; exit }')
  [ -n "$password" ] || die "no generated admin password in the log"
  tok=$(token "$base" admin "$password") || die "no token with the printed admin password"
  call_id=$(place_call "$base" "$tok") || die "POST /api/v2/interaction refused"
  wait_call_status "$base" "$tok" "$call_id" completed 60
  log "ok: api alone: uid 10001, healthy, token with the printed password, call $call_id completed"

  t0=$(date +%s%N)
  $DOCKER stop "$name" >/dev/null
  stopped_ms=$((($(date +%s%N) - t0) / 1000000))
  exit_code=$($DOCKER inspect -f '{{.State.ExitCode}}' "$name")
  # SIGTERM ends the JVM with 143 (128 + 15), or 0 when it exits by itself; 137 would be docker's SIGKILL.
  case "$exit_code" in 0 | 143) ;; *) die "docker stop: exit code $exit_code (killed, not shut down)" ;; esac
  [ "$stopped_ms" -lt 9500 ] || die "docker stop took ${stopped_ms} ms: the stop timeout (10 s) ran out"
  # PostgreSQL removes postmaster.pid when it shuts down; one left behind means it was killed with the container.
  if $DOCKER run --rm --entrypoint sh -v "$PREFIX-data:/data" contact-center-api:local -c 'test -e /data/postgres/postmaster.pid'; then
    die "docker stop killed the embedded PostgreSQL (postmaster.pid left in /data/postgres): not a clean shutdown; log: $($DOCKER logs --tail 5 "$name" 2>&1)"
  fi
  local said=""
  if $DOCKER logs "$name" 2>&1 | grep -q 'Embedded PostgreSQL stopped'; then said=", log says 'Embedded PostgreSQL stopped'"; fi
  figure "docker stop: exit $exit_code after $stopped_ms ms, embedded PostgreSQL shut down (no postmaster.pid left)$said"

  local lines_before
  lines_before=$($DOCKER logs "$name" 2>&1 | wc -l)
  t0=$(date +%s%N)
  $DOCKER start "$name" >/dev/null
  waited_ms=$(wait_http "$base/health" 120 "$name")
  figure "api alone, restart on the same volume: /health 200 after $((waited_ms / 1000)).$((waited_ms % 1000 / 100)) s"
  wait_healthy "$name" 120 >/dev/null
  $DOCKER logs "$name" 2>&1 | tail -n +"$((lines_before + 1))" >"$work/restart.log"
  ! grep -q 'random password' "$work/restart.log" || die "the restart created the admin user again"
  ! grep -Eq 'not properly shut down|automatic recovery in progress' "$work/restart.log" ||
    die "PostgreSQL recovered after docker stop: the shutdown was not clean"
  tok=$(token "$base" admin "$password") || die "the admin password does not work after the restart"
  wait_call_status "$base" "$tok" "$call_id" completed 1
  # Stopped, not killed: a killed one leaves PostgreSQL's postmaster.pid on the volume for the next phase.
  $DOCKER stop "$name" >/dev/null
  $DOCKER rm "$name" >/dev/null
  log "ok: restart keeps the admin user, the key and the call; PostgreSQL was shut down cleanly"
  echo "$password" >"$work/alone-password"
}

# ---------------------------------------------------------------- memory limit, read-only root under a load of calls
run_limits() {
  local port base name=$PREFIX-limits waited_ms load_ms password tok calls=${CONTAINER_CHECK_CALLS:-300} codes max_heap flags id peak
  [ -s "$work/alone-password" ] || die "the limits phase needs the alone phase first (its volume and password)"
  password=$(cat "$work/alone-password")
  port=$(free_port)
  base=http://127.0.0.1:$port
  # exec: the embedded PostgreSQL runs its binaries from /tmp (Docker's tmpfs default is noexec).
  # The per-user call limits are raised so the whole load reaches the service: this phase measures memory.
  $DOCKER run -d --name "$name" --memory 512m --memory-swap 512m --read-only --tmpfs /tmp:rw,exec,size=256m \
    -e USER_CALLS_PER_SECOND=1000 -e USER_CONCURRENT_CALLS=100000 -e USER_CALLS_PER_DAY=10000000 \
    -v "$PREFIX-data:/data" -p "127.0.0.1:$port:8000" contact-center-api:local >/dev/null
  waited_ms=$(wait_http "$base/health" 120 "$name")
  tok=$(token "$base" admin "$password") || die "no token (read-only, 512m)"
  # A load of calls: $calls originations, 16 at a time, each then followed to its end by the service.
  load_ms=$(date +%s%N)
  seq 1 "$calls" | xargs -P 16 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
    "$base/api/v2/interaction/$SEED_NUMBER" -H "Authorization: Bearer $tok" >"$work/load-codes" || true
  load_ms=$((($(date +%s%N) - load_ms) / 1000000))
  codes=$(sort "$work/load-codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}' | sed 's/ $//')
  grep -vqE '^(200|201|202)$' "$work/load-codes" && die "load: not every call was accepted: $codes"
  # Let the calls run to their end (sandbox timing), then look at the container.
  local last
  last=$(curl -fsS -X POST "$base/api/v2/interaction/$SEED_NUMBER" -H "Authorization: Bearer $tok" | json 'd["call_id"]')
  wait_call_status "$base" "$tok" "$last" completed 90
  [ "$($DOCKER inspect -f '{{.State.Running}} {{.State.OOMKilled}} {{.RestartCount}}' "$name")" = "true false 0" ] ||
    die "after the load: $($DOCKER inspect -f 'running={{.State.Running}} oom={{.State.OOMKilled}}' "$name")"
  curl -fsS -o /dev/null "$base/health" || die "/health fails after the load"
  flags=$($DOCKER exec "$name" sh -c "tr '\\0' '\\n' </proc/1/cmdline | grep '^-XX:' | tr '\\n' ' '")
  # shellcheck disable=SC2086 # a list of flags
  max_heap=$($DOCKER exec "$name" java $flags -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 == "MaxHeapSize" { print $4 }')
  [ -n "$max_heap" ] || die "could not read the JVM's MaxHeapSize"
  # 75 % of 512 MiB = 384 MiB; a JVM blind to the limit would size it from the machine's memory.
  [ "$max_heap" -ge $((300 * 1048576)) ] || die "max heap $((max_heap / 1048576)) MiB: below 300 MiB under --memory 512m"
  [ "$max_heap" -le $((400 * 1048576)) ] ||
    die "max heap $((max_heap / 1048576)) MiB under --memory 512m (flags: $flags): not sized from the limit"
  id=$($DOCKER inspect -f '{{.Id}}' "$name")
  peak=$(cat "/sys/fs/cgroup/memory/docker/$id/memory.max_usage_in_bytes" 2>/dev/null ||
    cat "/sys/fs/cgroup/docker/$id/memory.peak" 2>/dev/null || echo 0)
  figure "--memory 512m --read-only --tmpfs /tmp: /health 200 after $((waited_ms / 1000)) s; $calls calls in $((load_ms / 1000)) s ($codes), no OOM kill, JVM flags '$flags' → max heap $((max_heap / 1048576)) MiB, container memory peak $((peak / 1048576)) MiB"
  $DOCKER rm -f "$name" >/dev/null
  $DOCKER volume rm "$PREFIX-data" >/dev/null
  log "ok: read-only root with /data and a tmpfs /tmp; 512 MiB limit honoured under load"
}

# ---------------------------------------------------------------- docker compose
# One compose project per phase (they may run side by side): $stack names it and its directory (.env).
compose() { $DOCKER compose -p "$stack" --project-directory "$work/$stack" -f "$project/docker-compose.yml" "$@"; }

compose_wait_healthy() { # services...
  local service id
  for service in "$@"; do
    id=$(compose ps -q "$service")
    [ -n "$id" ] || die "compose service $service has no container"
    wait_healthy "$id" 150 >/dev/null
  done
}

run_compose() {
  local port t0 waited stack=$PREFIX
  port=$(free_port)
  mkdir -p "$work/$stack"
  sed -e "s|^API_PORT=.*|API_PORT=$port|" "$work/env" >"$work/$stack/.env"
  t0=$(date +%s)
  compose up -d --no-build >"$work/$stack-up.log" 2>&1 || die "docker compose up: $(tail -20 "$work/$stack-up.log")"
  compose_wait_healthy postgres api
  waited=$(($(date +%s) - t0))
  figure "docker compose up: postgres and api healthy after $waited s"
  # The README's curl block, as written, against the published port.
  sed -n '/<!-- readme-smoke:start -->/,/<!-- readme-smoke:end -->/p' README.md | sed '/^```/d;/<!--/d' |
    sed "s|localhost:8000|127.0.0.1:$port|g" >"$work/$stack-quickstart.sh"
  local output
  output=$(bash -euo pipefail "$work/$stack-quickstart.sh") || die "the README's curl block failed against compose"
  echo "$output" | tail -1 | grep -q '"status":"completed"' || die "the README's call did not end completed: $output"
  compose down -v >"$work/$stack-down.log" 2>&1 || die "docker compose down -v: $(tail -20 "$work/$stack-down.log")"
  [ -z "$($DOCKER volume ls -q --filter label=com.docker.compose.project="$stack")" ] || die "down -v left volumes"
  log "ok: compose: healthy, README curl flow completed, down -v removed everything"
}

run_asterisk() {
  local port base t0 tok call_id health stack=$PREFIX-asterisk
  port=$(free_port)
  base=http://127.0.0.1:$port
  mkdir -p "$work/$stack"
  # As .env.example says: remove ARI_SANDBOX, uncomment the ARI_* block (ARI_PASSWORD was filled in by make_env).
  sed -e "s|^API_PORT=.*|API_PORT=$port|" \
    -e 's|^#\(ARI_HTTP_URL=http://asterisk:8088\)$|\1|' -e 's|^#\(ARI_USERNAME=.*\)$|\1|' \
    -e 's|^#\(ARI_PASSWORD=..*\)$|\1|' -e 's|^#\(ARI_ENDPOINT_TEMPLATE=Local/.*\)$|\1|' \
    -e '/^ARI_SANDBOX=/d' "$work/env" >"$work/$stack/.env"
  grep -q '^ARI_HTTP_URL=http://asterisk:8088$' "$work/$stack/.env" || die ".env.example has no '#ARI_HTTP_URL=http://asterisk:8088' line"
  t0=$(date +%s)
  compose --profile asterisk up -d --no-build >"$work/$stack-up.log" 2>&1 ||
    die "docker compose --profile asterisk up: $(tail -20 "$work/$stack-up.log")"
  compose_wait_healthy postgres asterisk api
  # /health is 200 only once the ARI events WebSocket is connected.
  wait_http "$base/health" 60 >/dev/null
  figure "docker compose --profile asterisk up: three services healthy, /health 200 after $(($(date +%s) - t0)) s"
  health=$(curl -fsS "$base/health")
  echo "$health" | grep -q '"simulated":false' || die "/health does not report the real Asterisk: $health"
  tok=$(token "$base" admin "$(grep '^ADMIN_PASSWORD=' "$work/$stack/.env" | cut -d= -f2)") || die "no token (asterisk profile)"
  call_id=$(place_call "$base" "$tok") || die "POST /api/v2/interaction refused (asterisk profile)"
  wait_call_status "$base" "$tok" "$call_id" completed 60
  curl -fsS "$base/api/v2/calls/$call_id/events" -H "Authorization: Bearer $tok" >"$work/$stack-events.json"
  grep -q '"answered"' "$work/$stack-events.json" || die "the call's timeline has no answered step: $(cat "$work/$stack-events.json")"
  compose --profile asterisk down -v >"$work/$stack-down.log" 2>&1 || die "down -v: $(tail -20 "$work/$stack-down.log")"
  log "ok: asterisk profile: call $call_id to $SEED_NUMBER completed through the Asterisk container"
}

health_json() { # base, python expression over d (the /health body)
  curl -sS --max-time 5 "$1/health" | json "$2"
}

# The node (by NODE_NAME) owning a server, as both nodes' /health say; empty while none or both claim it.
owner_of() { # server, base...
  local server=$1 base owner owners=()
  shift
  for base in "$@"; do
    owner=$(health_json "$base" "' '.join(d['node']['name'] for s in d['node'].get('servers', []) if s['server'] == '$server' and s['role'] == 'owner')" 2>/dev/null || true)
    [ -n "$owner" ] && owners+=("$owner")
  done
  [ ${#owners[@]} -eq 1 ] && echo "${owners[0]}"
  return 0
}

run_cluster() {
  local port0 port1 port2 base1 base2 t0 tok call_id victim survivor survivor_base pbx members refused stack=$PREFIX-cluster
  { read -r port1; read -r port2; read -r port0; } < <(free_port 3)
  base1=http://127.0.0.1:$port1
  base2=http://127.0.0.1:$port2
  mkdir -p "$work/$stack"
  # Both Asterisks and both nodes read ARI_USERNAME/ARI_PASSWORD (filled in by make_env); the server list is in
  # docker-compose.yml, so the single-server ARI_* lines stay commented and ARI_SANDBOX is overridden there.
  sed -e "s|^API_PORT=.*|API_PORT=$port0|" -e "s|^#API_PORT_1=.*|API_PORT_1=$port1|" \
    -e "s|^#API_PORT_2=.*|API_PORT_2=$port2|" -e 's|^#\(ARI_USERNAME=.*\)$|\1|' -e 's|^#\(ARI_PASSWORD=..*\)$|\1|' \
    "$work/env" >"$work/$stack/.env"
  grep -q "^API_PORT_1=$port1" "$work/$stack/.env" || die ".env.example has no '#API_PORT_1=' line"
  t0=$(date +%s)
  compose --profile cluster up -d --no-build api-1 api-2 >"$work/$stack-up.log" 2>&1 ||
    die "docker compose --profile cluster up: $(tail -20 "$work/$stack-up.log")"
  compose_wait_healthy postgres asterisk-1 asterisk-2 api-1 api-2
  wait_http "$base1/health" 90 >/dev/null
  wait_http "$base2/health" 90 >/dev/null
  figure "docker compose --profile cluster up: two nodes and two Asterisks healthy, /health 200 on both after $(($(date +%s) - t0)) s"
  for base in "$base1" "$base2"; do
    members=$(health_json "$base" "len(d['node'].get('members', []))")
    [ "$members" = 2 ] || die "$base/health sees $members members, expected 2"
  done
  for pbx in pbx-1 pbx-2; do
    for _ in $(seq 1 30); do
      [ -n "$(owner_of "$pbx" "$base1" "$base2")" ] && break
      sleep 1
    done
    [ -n "$(owner_of "$pbx" "$base1" "$base2")" ] || die "$pbx has no single owner: $(curl -sS "$base1/health") $(curl -sS "$base2/health")"
  done
  tok=$(token "$base1" admin "$(grep '^ADMIN_PASSWORD=' "$work/$stack/.env" | cut -d= -f2)") || die "no token (cluster profile)"
  for base in "$base1" "$base2"; do
    call_id=$(place_call "$base" "$tok") || die "POST /api/v2/interaction refused by $base (cluster profile)"
    wait_call_status "$base" "$tok" "$call_id" completed 60
  done
  victim=$(owner_of pbx-1 "$base1" "$base2")
  if [ "$victim" = api-1 ]; then survivor=api-2 survivor_base=$base2; else survivor=api-1 survivor_base=$base1; fi
  t0=$(date +%s%N)
  compose kill -s SIGKILL "$victim" >/dev/null 2>&1 || die "docker compose kill $victim"
  for _ in $(seq 1 300); do
    [ "$(owner_of pbx-1 "$survivor_base")" = "$survivor" ] && [ "$(owner_of pbx-2 "$survivor_base")" = "$survivor" ] && break
    sleep 0.1
  done
  [ "$(owner_of pbx-1 "$survivor_base")" = "$survivor" ] || die "$survivor did not take pbx-1 over within 30 s of killing $victim"
  figure "cluster: $survivor owns both Asterisks $((($(date +%s%N) - t0) / 1000000)) ms after SIGKILL of $victim (as its /health shows, polled every 100 ms)"
  # New calls may be refused (503, the client retries) while the cluster still routes to the dead node; measured.
  refused=0
  until call_id=$(place_call "$survivor_base" "$tok" 2>/dev/null); do
    refused=$((refused + 1))
    [ $((($(date +%s%N) - t0) / 1000000000)) -lt 60 ] || die "$survivor refused every call for 60 s after the takeover"
    sleep 1
  done
  figure "cluster: first call through $survivor accepted $((($(date +%s%N) - t0) / 1000000)) ms after SIGKILL of $victim ($refused refused before)"
  wait_call_status "$survivor_base" "$tok" "$call_id" completed 60
  compose --profile cluster down -v >"$work/$stack-down.log" 2>&1 || die "down -v: $(tail -20 "$work/$stack-down.log")"
  log "ok: cluster profile: calls through both nodes completed; after SIGKILL of $victim, $survivor owns both servers and completed a call"
}

# ---------------------------------------------------------------- secrets
scan_secrets() {
  local image values=() value layers
  while IFS='=' read -r key value; do
    case "$key" in POSTGRES_PASSWORD | SECRET_KEY | ADMIN_PASSWORD | ARI_PASSWORD | '#ARI_PASSWORD') values+=("$value") ;; esac
  done <"$work/env"
  [ -s "$work/alone-password" ] && values+=("$(cat "$work/alone-password")")
  [ ${#values[@]} -ge 4 ] || die "found only ${#values[@]} secret values to look for"
  for image in contact-center-api:local contact-center-asterisk:local; do
    layers=$work/layers
    rm -rf "$layers" && mkdir -p "$layers"
    $DOCKER save "$image" | tar -x -C "$layers"
    $DOCKER history --no-trunc "$image" >"$layers/history.txt"
    $DOCKER image inspect "$image" >"$layers/inspect.json"
    for value in "${values[@]}"; do
      if grep -rlaF -- "$value" "$layers" >"$work/hits"; then
        die "$image: a secret of .env is in $(sed "s|$layers/||" "$work/hits" | tr '\n' ' ')"
      fi
    done
    figure "$image: none of the ${#values[@]} secret values in its $(find "$layers" -name layer.tar | wc -l) layers, config or docker history"
  done
  rm -rf "$layers"
}

# ---------------------------------------------------------------- main
phase engine "engine" install_tools
start_engine
wants standins && phase standins "base-image stand-ins" build_standins
make_env
wants build && phase build "building the project's images" build_images
# One after the other: on two busy cores, side by side starts starve each other (and skew the figures).
if wants alone; then phase alone "api image alone" run_alone; fi
if wants limits; then phase limits "512 MiB limit, read-only root, load of calls" run_limits; fi
if wants compose; then phase compose "docker compose up" run_compose; fi
if wants asterisk; then phase asterisk "docker compose --profile asterisk up" run_asterisk; fi
if wants secrets; then phase secrets "secrets in the image layers" scan_secrets; fi
if wants cluster; then phase cluster "docker compose --profile cluster up, kill -9 of an owner" run_cluster; fi
