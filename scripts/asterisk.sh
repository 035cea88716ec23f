#!/usr/bin/env bash
# Provision, start and stop a throw-away Asterisk (Debian sid package, run in a chroot)
# for the Contact Center API integration tests. See docs/ASTERISK.md.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_DIR="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly SCRIPT_DIR PROJECT_DIR

readonly ROOT="${ASTERISK_ROOT:-/var/cache/contact-center-api/asterisk-sid}"
# Several Asterisks run from one root, each with its own configuration, run, spool, log and database directories
# (suffix "-<instance>"); the default instance keeps the package's own paths.
readonly INSTANCE="${ASTERISK_INSTANCE:-}"
readonly SUFFIX="${INSTANCE:+-${INSTANCE}}"
readonly RUN_DIR="${ASTERISK_RUN_DIR:-${ROOT}/run-state${SUFFIX}}"
readonly CONF_DIR="${ASTERISK_CONF_DIR:-${PROJECT_DIR}/conf/asterisk/test}"
readonly MARKER="${ROOT}/.provisioned"
readonly LOCK_FILE="${ROOT%/}.lock"
readonly PID_FILE="${RUN_DIR}/asterisk.pid"
readonly ENV_FILE="${RUN_DIR}/asterisk.env"
readonly MOUNTS_FILE="${RUN_DIR}/mounts"
readonly OUT_FILE="${RUN_DIR}/asterisk.out"
# Paths inside the chroot.
readonly ETC_DIR="/etc/asterisk${SUFFIX}"
readonly AST_CONF="${ETC_DIR}/asterisk.conf"
readonly AST_RUN="/var/run/asterisk${SUFFIX}"
readonly AST_LOG="/var/log/asterisk${SUFFIX}"

readonly SUITE="sid"
readonly PACKAGES="asterisk"            # everything else comes in as a dependency
readonly ARI_APP="contact-center-test"
readonly ENDPOINT_TEMPLATE="Local/{digits}@callee/n"
readonly DEFAULT_CONTEXT="outbound-ivr"
readonly START_TIMEOUT_S=60
readonly STOP_TIMEOUT_S=10
readonly DEVICES=(null zero full random urandom tty)

usage() {
  cat <<EOF
Usage: scripts/asterisk.sh COMMAND [OPTIONS]

Runs a test Asterisk (Debian sid package) in a chroot, bound to 127.0.0.1 only.
Must run as root.

Commands:
  provision         Build the chroot with Asterisk if it is not complete yet (idempotent,
                    about 2 minutes the first time, instant afterwards).
  start [--port N]  Install conf/asterisk/test/ into the chroot, start Asterisk with its HTTP/ARI
                    server on 127.0.0.1:N (a free port if N is not given), wait until ARI answers,
                    then print on stdout:
                      ARI_HTTP_URL=http://127.0.0.1:N
                      ARI_USERNAME=...
                      ARI_PASSWORD=...
                      ARI_APP=${ARI_APP}
                      ARI_ENDPOINT_TEMPLATE=${ENDPOINT_TEMPLATE}
                      DEFAULT_CONTEXT=${DEFAULT_CONTEXT}
                    An Asterisk already started by this script is stopped first.
  stop              Stop Asterisk, wait until it is gone, unmount what start mounted (once no other
                    instance runs in the root). Exits 0 when nothing runs.
  status            Print the lines above and exit 0 if Asterisk runs; exit 1 otherwise.
  help              Show this text.

Environment:
  ASTERISK_ROOT      chroot directory        (default /var/cache/contact-center-api/asterisk-sid)
  ASTERISK_INSTANCE  a second (third...) Asterisk from the same root, e.g. b: its own /etc/asterisk-b,
                     /var/{run,log,spool,lib}/asterisk-b and HTTP port; start/stop/status act on that
                     instance only (default: the unnamed instance with the package's paths)
  ASTERISK_RUN_DIR   pid, env and log files  (default \$ASTERISK_ROOT/run-state[-INSTANCE])
  ASTERISK_CONF_DIR  test configuration      (default conf/asterisk/test)
  ASTERISK_MIRROR    Debian mirror for provision (default: the one in /etc/apt/sources.list*)

Only the env lines go to stdout; everything else goes to stderr.
EOF
}

log() { printf 'asterisk.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }
elapsed() { local ms=$(( $(now_ms) - $1 )); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }

require_root() {
  [[ ${EUID} -eq 0 ]] || die "must run as root (chroot, mount and debootstrap need it)"
}

# Serialises provision/start/stop between concurrent callers.
take_lock() {
  mkdir -p "$(dirname "${LOCK_FILE}")"
  exec 9>"${LOCK_FILE}"
  flock -w 300 9 || die "another scripts/asterisk.sh holds ${LOCK_FILE}"
}

is_provisioned() { [[ -f ${MARKER} ]]; }

# ---------------------------------------------------------------- provision

# The Debian mirror the machine's apt already uses (first .../debian URI, not debian-security).
detect_mirror() {
  if [[ -n ${ASTERISK_MIRROR:-} ]]; then
    printf '%s\n' "${ASTERISK_MIRROR}"
    return
  fi
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f ${f} ]] && files+=("${f}")
  done
  ((${#files[@]})) || return 1
  awk '
    /^[[:space:]]*#/ { next }
    $1 == "deb" {                        # one-line format: deb [options] URI suite components
      i = 2
      if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
      print $i; next
    }
    tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }   # deb822 format
  ' "${files[@]}" | grep -E '^(https?|ftp)://.*/debian/?$' | head -n 1
}

# Unmounts everything below ROOT, deepest first.
unmount_all_under_root() {
  local mnt
  [[ -d ${ROOT} ]] || return 0
  while read -r mnt; do
    [[ -n ${mnt} ]] || continue
    umount "${mnt}" 2>/dev/null || umount -l "${mnt}" || log "warning: could not unmount ${mnt}"
  done < <(awk -v root="$(realpath "${ROOT}")" '
      { gsub(/\\040/, " ", $5) }
      index($5, root "/") == 1 { print length($5) "\t" $5 }' /proc/self/mountinfo |
    sort -rn | cut -f2-)
  rm -f "${MOUNTS_FILE}"
}

cmd_provision() {
  require_root
  take_lock
  if is_provisioned; then
    log "already provisioned: ${ROOT} ($(cat "${MARKER}"))"
    return 0
  fi
  local t0 mirror
  t0=$(now_ms)
  mirror=$(detect_mirror) || true
  [[ -n ${mirror} ]] || die "no Debian mirror found in /etc/apt/sources.list*; set ASTERISK_MIRROR"
  log "provisioning ${ROOT} from ${mirror} (${SUITE}, minbase + ${PACKAGES})"

  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap >&2
  fi

  if [[ -e ${ROOT} ]]; then
    log "removing incomplete root ${ROOT}"
    kill_chroot_processes
    unmount_all_under_root
    rm -rf --one-file-system "${ROOT}"
  fi
  mkdir -p "$(dirname "${ROOT}")"

  local t1
  t1=$(now_ms)
  debootstrap --variant=minbase --include="${PACKAGES}" --components=main \
    "${SUITE}" "${ROOT}" "${mirror}" >&2
  log "debootstrap took $(elapsed "${t1}")"

  # Package scripts must not have left a daemon running in the chroot.
  kill_chroot_processes
  unmount_all_under_root
  rm -rf "${ROOT}"/var/cache/apt/archives/*.deb "${ROOT}"/var/lib/apt/lists/*_Packages
  # Keep the package's sample configuration aside; start installs the test one.
  if [[ -d ${ROOT}/etc/asterisk && ! -d ${ROOT}/etc/asterisk.dist ]]; then
    cp -a "${ROOT}/etc/asterisk" "${ROOT}/etc/asterisk.dist"
  fi

  local version
  # shellcheck disable=SC2016 # ${Version} is dpkg-query's field, not a shell variable
  version=$(chroot "${ROOT}" dpkg-query -W -f '${Version}' asterisk) ||
    die "asterisk is not installed in ${ROOT}"
  printf 'asterisk %s, provisioned %s from %s\n' "${version}" "$(date -u +%FT%TZ)" "${mirror}" >"${MARKER}"
  log "provisioned asterisk ${version} in $(elapsed "${t0}") ($(du -sh --one-file-system "${ROOT}" | cut -f1))"
}

# ---------------------------------------------------------------- processes

# Host pids of every process whose root directory is the chroot.
chroot_pids() {
  local root
  root=$(realpath "${ROOT}" 2>/dev/null) || return 0
  { find /proc -mindepth 2 -maxdepth 2 -name root -lname "${root}" 2>/dev/null || true; } | cut -d/ -f3
}

# Host pids of this instance's processes: those in the chroot started with its asterisk.conf (the daemon and any
# remote console talking to it).
instance_pids() {
  local pid
  for pid in $(chroot_pids); do
    tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -qF -- "-C ${AST_CONF} " && printf '%s\n' "${pid}"
  done
  return 0
}

kill_instance_processes() {
  kill_processes instance_pids
}

kill_chroot_processes() {
  kill_processes chroot_pids
}

# kill_processes LISTER: TERM, then KILL, what LISTER prints.
kill_processes() {
  local pids
  mapfile -t pids < <("$1")
  ((${#pids[@]})) || return 0
  log "killing processes left in the chroot: ${pids[*]}"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  if ! wait_until_gone 5 "${pids[@]}"; then
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_until_gone 5 "${pids[@]}" || log "warning: still running: ${pids[*]}"
  fi
}

# A zombie (exited, not yet reaped) still has /proc/PID: only count processes that really run.
is_alive() {
  [[ -e /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# wait_until_gone SECONDS PID... : 0 when none of the pids is alive any more.
wait_until_gone() {
  local deadline=$(( $(now_ms) + $1 * 1000 )) pid alive
  shift
  while :; do
    alive=0
    for pid in "$@"; do
      is_alive "${pid}" && alive=1
    done
    ((alive)) || return 0
    (( $(now_ms) < deadline )) || return 1
    sleep 0.05
  done
}

# Pid of the Asterisk this script started, if it is still running.
running_pid() {
  local pid
  [[ -f ${PID_FILE} ]] || return 1
  pid=$(<"${PID_FILE}")
  [[ ${pid} =~ ^[0-9]+$ ]] && is_alive "${pid}" || return 1
  [[ $(readlink "/proc/${pid}/root" 2>/dev/null) == "$(realpath "${ROOT}")" ]] || return 1
  printf '%s\n' "${pid}"
}

# ---------------------------------------------------------------- start

port_is_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

# Outside the ephemeral range, so that no outgoing connection takes it before Asterisk binds it.
free_port() {
  python3 "${SCRIPT_DIR}/free-port.py"
}

# Reads "name password" of the first [section] with type=user from ari.conf.
ari_credentials() {
  awk -F'=' '
    function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
    /^[ \t]*;/ { next }
    /^[ \t]*\[/ { if (user != "" && pw != "") exit; section = $0; gsub(/[][ \t]|\(.*\)/, "", section); user = ""; pw = ""; next }
    { key = trim($1); val = trim(substr($0, index($0, "=") + 1)); sub(/[ \t]*;.*$/, "", val) }
    key == "type" && val == "user" { user = section }
    key == "password" { pw = val }
    END { if (user != "" && pw != "") print user, pw }
  ' "$1"
}

install_config() {
  local port=$1 etc="${ROOT}${ETC_DIR}"
  [[ -d ${CONF_DIR} ]] || die "no test configuration in ${CONF_DIR}"
  rm -rf "${etc}"
  mkdir -p "${etc}"
  cp "${CONF_DIR}"/*.conf "${etc}/"
  sed -i "s/@HTTP_PORT@/${port}/g" "${etc}"/*.conf
  if [[ -n ${SUFFIX} ]]; then
    # The instance's own directories (the shared ones, modules and data, stay) and system name, which also
    # prefixes its channels' unique ids.
    # "(!)" makes [directories] a template Asterisk ignores (its built-in paths are the package's): drop it.
    sed -i -E \
      -e "s#^\[directories\]\(!\)#[directories]#" \
      -e "s#^(astetcdir *=> *)/etc/asterisk\$#\1${ETC_DIR}#" \
      -e "s#^((astdbdir|astspooldir|astrundir|astlogdir|astcachedir) *=> *.*)\$#\1${SUFFIX}#" \
      -e "s#^(systemname *= *.*)\$#\1${SUFFIX}#" \
      "${etc}/asterisk.conf"
  fi
}

prepare_filesystem() {
  local dir dev
  for dir in run log lib spool cache; do
    mkdir -p "${ROOT}/var/${dir}/asterisk${SUFFIX}"
  done
  rm -f "${ROOT}${AST_RUN}"/asterisk.{ctl,pid}
  : >"${MOUNTS_FILE}"
  if ! mountpoint -q "${ROOT}/proc"; then
    mount -t proc proc "${ROOT}/proc"
    echo "${ROOT}/proc" >>"${MOUNTS_FILE}"
  fi
  for dev in "${DEVICES[@]}"; do
    # debootstrap creates the nodes itself where mknod is allowed; otherwise bind the host's.
    if [[ ! -c ${ROOT}/dev/${dev} ]]; then
      rm -f "${ROOT}/dev/${dev}"
      touch "${ROOT}/dev/${dev}"
      mount --bind "/dev/${dev}" "${ROOT}/dev/${dev}"
      echo "${ROOT}/dev/${dev}" >>"${MOUNTS_FILE}"
    fi
  done
}

# HTTP status of GET /ari/asterisk/info, 000 when nothing answers.
ari_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 -u "$2:$3" \
    "http://127.0.0.1:$1/ari/asterisk/info" 2>/dev/null || true
}

start_failed() {
  log "error: $*"
  if [[ -f ${ROOT}${AST_LOG}/messages ]]; then
    log "last lines of ${ROOT}${AST_LOG}/messages:"
    tail -n 30 "${ROOT}${AST_LOG}/messages" >&2 || true
  fi
  [[ -s ${OUT_FILE} ]] && { log "output of asterisk:"; tail -n 30 "${OUT_FILE}" >&2 || true; }
  stop_asterisk
  exit 1
}

cmd_start() {
  local port=""
  while (($#)); do
    case $1 in
      --port) [[ $# -ge 2 ]] || die "--port needs a value"; port=$2; shift 2 ;;
      --port=*) port=${1#--port=}; shift ;;
      -h | --help) usage; exit 0 ;;
      *) die "unknown option for start: $1 (see scripts/asterisk.sh help)" ;;
    esac
  done
  require_root
  is_provisioned || die "${ROOT} is not provisioned; run 'scripts/asterisk.sh provision' first"
  take_lock
  if [[ -n ${port} ]]; then
    # shellcheck disable=SC2015 # die when any of the three fails
    [[ ${port} =~ ^[0-9]{1,5}$ ]] && port=$((10#${port})) && ((port >= 1 && port <= 65535)) || die "bad port: ${port}"
  fi

  local t0
  t0=$(now_ms)
  mkdir -p "${RUN_DIR}"
  if [[ -n $(instance_pids) ]]; then
    log "an Asterisk from this script is running${INSTANCE:+ as instance ${INSTANCE}}; stopping it first"
    stop_asterisk
  fi

  [[ -n ${port} ]] || port=$(free_port)
  port_is_free "${port}" || die "127.0.0.1:${port} is already in use"

  local credentials user password
  credentials=$(ari_credentials "${CONF_DIR}/ari.conf")
  [[ -n ${credentials} ]] || die "no ARI user with a password in ${CONF_DIR}/ari.conf"
  read -r user password <<<"${credentials}"

  install_config "${port}"
  prepare_filesystem
  rm -f "${ENV_FILE}" "${OUT_FILE}"
  [[ -f ${ROOT}${AST_LOG}/messages ]] &&
    mv -f "${ROOT}${AST_LOG}/messages" "${ROOT}${AST_LOG}/messages.previous"

  # -f: stay in the foreground of this background job, so $! is Asterisk itself;
  # setsid: its own session, so signals to the caller's process group do not reach it;
  # stdio away from the caller's pipes, so a caller reading our stdout sees EOF when we exit;
  # 9>&-: the lock must not live on in Asterisk.
  setsid chroot "${ROOT}" /usr/sbin/asterisk -f -n -C "${AST_CONF}" \
    </dev/null >"${OUT_FILE}" 2>&1 9>&- &
  local pid=$!
  echo "${pid}" >"${PID_FILE}"
  log "started asterisk (pid ${pid}), waiting for ARI on 127.0.0.1:${port}"

  local deadline=$(( $(now_ms) + START_TIMEOUT_S * 1000 )) status
  while :; do
    status=$(ari_status "${port}" "${user}" "${password}")
    [[ ${status} == 200 ]] && break
    is_alive "${pid}" || start_failed "asterisk exited during start-up"
    (( $(now_ms) < deadline )) || start_failed "ARI did not answer 200 within ${START_TIMEOUT_S}s (last HTTP status ${status})"
    sleep 0.1
  done

  {
    echo "ARI_HTTP_URL=http://127.0.0.1:${port}"
    echo "ARI_USERNAME=${user}"
    echo "ARI_PASSWORD=${password}"
    echo "ARI_APP=${ARI_APP}"
    echo "ARI_ENDPOINT_TEMPLATE=${ENDPOINT_TEMPLATE}"
    echo "DEFAULT_CONTEXT=${DEFAULT_CONTEXT}"
  } >"${ENV_FILE}.tmp"
  mv -f "${ENV_FILE}.tmp" "${ENV_FILE}"
  log "ARI ready on 127.0.0.1:${port} after $(elapsed "${t0}")"
  cat "${ENV_FILE}"
}

# ---------------------------------------------------------------- stop

stop_asterisk() {
  local pids
  mapfile -t pids < <(instance_pids)
  if ((${#pids[@]})); then
    # Orderly shutdown first; the control socket answers within milliseconds when Asterisk is up.
    timeout 5 chroot "${ROOT}" /usr/sbin/asterisk -C "${AST_CONF}" -rx 'core stop now' 9>&- \
      </dev/null >/dev/null 2>&1 || true
    if ! wait_until_gone "${STOP_TIMEOUT_S}" "${pids[@]}"; then
      log "asterisk still running after 'core stop now'; sending SIGTERM"
      kill_instance_processes
    fi
    # Anything that appeared meanwhile (the remote console itself, for example).
    kill_instance_processes
  fi
  # /proc and the devices are shared by the instances: unmounted with the last one.
  [[ -n $(chroot_pids) ]] || unmount_all_under_root
  rm -f "${PID_FILE}" "${ENV_FILE}" "${ROOT}${AST_RUN}"/asterisk.{ctl,pid}
}

cmd_stop() {
  require_root
  [[ -d ${ROOT} ]] || { log "nothing to stop (${ROOT} does not exist)"; return 0; }
  take_lock
  local t0 was_running=no
  t0=$(now_ms)
  [[ -n $(instance_pids) ]] && was_running=yes
  stop_asterisk
  if [[ ${was_running} == yes ]]; then
    log "stopped in $(elapsed "${t0}")"
  else
    log "nothing was running"
  fi
}

# ---------------------------------------------------------------- status

cmd_status() {
  if running_pid >/dev/null && [[ -f ${ENV_FILE} ]]; then
    cat "${ENV_FILE}"
    return 0
  fi
  log "not running"
  return 1
}

main() {
  local command=${1:-}
  [[ ${ROOT} == /?* && $(realpath -m "${ROOT}") != / ]] || die "ASTERISK_ROOT must be an absolute path other than /"
  [[ ${INSTANCE} =~ ^[a-z0-9]{0,16}$ ]] || die "ASTERISK_INSTANCE must be 1-16 lower-case letters or digits"
  (($#)) && shift
  case ${command} in
    provision) cmd_provision "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    help | -h | --help) usage ;;
    "") usage >&2; exit 2 ;;
    *) log "unknown command: ${command}"; usage >&2; exit 2 ;;
  esac
}

main "$@"
