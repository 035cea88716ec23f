#!/usr/bin/env bash
# Runs docs/nginx/contact-center-api.conf, the nginx example of docs/PRODUCTION.md, on loopback in front of the
# packaged jar and checks what an operator relies on through the proxy:
#   - HTTP is redirected to HTTPS; TLS (a self-signed certificate made here) serves the API with HSTS;
#   - token -> call -> status until completed -> list, through the proxy;
#   - /metrics is refused at the proxy, an over-size body is refused with 413;
#   - X-Forwarded-For is overwritten, so forged addresses do not escape the token rate limit;
#   - the event-bus bridge: SockJS /eventbus/info and a WebSocket upgrade of /eventbus/websocket (101, then a ping
#     answered by a pong through nginx). If this build has no bridge yet, that part is reported as NOT VERIFIED
#     (and fails with REQUIRE_EVENTBUS_BRIDGE=1); the example's /eventbus/ location is then checked against a stub
#     WebSocket upstream instead (which refuses requests whose upgrade headers nginx did not pass on).
# Only the host's ports, certificate paths and upstream port are substituted in the example. nginx comes from
# Debian (installed when missing; needs root then). APP_JAR runs another build of the jar. Leaves no process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)
jar=${APP_JAR:-$project/target/contact-center-api.jar}
example=$project/docs/nginx/contact-center-api.conf
[ -f "$jar" ] || { echo "build the jar first: mvn -B package -DskipTests" >&2; exit 1; }

log() { printf 'nginx-proxy-check: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  [ "$(id -u)" -eq 0 ] || die "nginx is not installed (apt-get install nginx)"
  log "installing nginx from Debian"
  # Keep the package from starting its own nginx on port 80.
  policy=/usr/sbin/policy-rc.d
  created_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && created_policy=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx >/dev/null; }
  [ "$created_policy" = true ] && rm -f "$policy"
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d /tmp/cc-nginx.XXXXXX)
chmod 755 "$work"
api_pid=""
nginx_pid=""
stub_pid=""
stop() {
  if [ -n "$1" ] && kill "$1" 2>/dev/null; then
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  set +e
  stop "$nginx_pid"
  stop "$stub_pid"
  stop "$api_pid"
  rm -rf "$work"
}
trap cleanup EXIT

# Ports outside the ephemeral range, so that no outgoing connection takes one before its server binds it.
free_port() { python3 scripts/free-port.py "$@"; }
{ read -r api_port; read -r http_port; read -r https_port; } < <(free_port 3)
host=api.example.com
admin_password=proxy-check-admin-password

# ---- the service, as in production behind a proxy (embedded database and sandbox: nothing else to run)
mkdir -p "$work/app"
(cd "$work/app" && HTTP_HOST=127.0.0.1 HTTP_PORT=$api_port DATA_DIR=$work/data ADMIN_PASSWORD=$admin_password \
  TRUST_PROXY_HEADERS=true TOKEN_RATE_LIMIT=5 TOKEN_RATE_WINDOW_SECONDS=300 METRICS_ENABLED=true \
  exec java -jar "$jar" >"$work/service.log" 2>&1) &
api_pid=$!
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$api_port/health/live" >/dev/null 2>&1 && break
  kill -0 "$api_pid" 2>/dev/null || { cat "$work/service.log" >&2; die "the service exited"; }
  sleep 0.5
done
curl -sf "http://127.0.0.1:$api_port/health/live" >/dev/null || { cat "$work/service.log" >&2; die "the service did not start"; }

# ---- TLS material, the example with this run's values, and a main nginx.conf around it
mkdir -p "$work/tls" "$work/logs" "$work/tmp"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$host" -addext "subjectAltName=DNS:$host" \
  -keyout "$work/tls/privkey.pem" -out "$work/tls/fullchain.pem" 2>/dev/null
sed -e "s|/etc/ssl/contact-center/fullchain.pem|$work/tls/fullchain.pem|" \
    -e "s|/etc/ssl/contact-center/privkey.pem|$work/tls/privkey.pem|" \
    -e "s|server 127.0.0.1:8000;|server 127.0.0.1:$api_port;|" \
    -e "s|^\( *\)listen 80;|\1listen 127.0.0.1:$http_port;|" \
    -e "s|^\( *\)listen 443 ssl http2;|\1listen 127.0.0.1:$https_port ssl http2;|" \
    -e '/listen \[::\]/d' \
    "$example" >"$work/site.conf"
# Every substitution must have happened, or this would test something else than the documented file.
for expected in "$work/tls/fullchain.pem" "$work/tls/privkey.pem" "127.0.0.1:$api_port" \
  "listen 127.0.0.1:$http_port;" "listen 127.0.0.1:$https_port ssl http2;"; do
  grep -qF "$expected" "$work/site.conf" || die "docs/nginx/contact-center-api.conf changed shape: no '$expected' after substitution"
done
user_line=""
if [ "$(id -u)" -eq 0 ]; then
  user_line="user nobody nogroup;"
  chown nobody "$work/tmp"
fi
cat >"$work/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 256; }
http {
  access_log $work/logs/access.log;
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  include $work/site.conf;
}
EOF
"$NGINX" -t -q -p "$work" -c "$work/nginx.conf" -g 'daemon off;' || die "nginx -t refused the example"
"$NGINX" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 50); do
  curl -s -o /dev/null "http://127.0.0.1:$http_port/" && break
  sleep 0.1
done

https="https://$host:$https_port"
tls=(--cacert "$work/tls/fullchain.pem" --resolve "$host:$https_port:127.0.0.1" -s)
verified=()

# ---- HTTP -> HTTPS, TLS, HSTS
redirect=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $host" "http://127.0.0.1:$http_port/health")
[ "$redirect" = "301 https://$host/health" ] || die "HTTP is not redirected to HTTPS: $redirect"
headers=$(curl "${tls[@]}" -D - -o /dev/null "$https/health/live")
echo "$headers" | head -1 | grep -q ' 200' || die "GET /health/live through TLS: $headers"
echo "$headers" | grep -qi '^strict-transport-security: max-age=' || die "no HSTS header"
verified+=("HTTP->HTTPS redirect, TLS with the example's settings, HSTS")

# ---- the API flow through the proxy
token=$(curl "${tls[@]}" -X POST "$https/api/v2/token" -d grant_type=password -d username=admin \
  -d "password=$admin_password" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') ||
  die "no token through the proxy"
call_id=$(curl "${tls[@]}" -X POST "$https/api/v2/interaction/+1234567890" -H "Authorization: Bearer $token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["call_id"])') || die "no call through the proxy"
status=""
for _ in $(seq 1 100); do
  status=$(curl "${tls[@]}" "$https/api/v2/status/$call_id" -H "Authorization: Bearer $token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  [ "$status" = completed ] && break
  sleep 0.2
done
[ "$status" = completed ] || die "call $call_id is $status, not completed"
curl "${tls[@]}" "$https/api/v2/calls?limit=5" -H "Authorization: Bearer $token" | grep -q "$call_id" ||
  die "GET /api/v2/calls through the proxy does not list the call"
verified+=("token -> POST /api/v2/interaction -> status completed -> list, through TLS")

# ---- what the proxy refuses
code=$(curl "${tls[@]}" -o /dev/null -w '%{http_code}' "$https/metrics")
[ "$code" = 403 ] || die "/metrics through the proxy answered $code, not 403"
code=$(head -c 70000 /dev/zero | tr '\0' 'a' | curl "${tls[@]}" -o /dev/null -w '%{http_code}' -X POST \
  "$https/api/v2/calls" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data-binary @-)
[ "$code" = 413 ] || die "a 70 kB body answered $code, not 413"
verified+=("/metrics refused (403) and bodies over 64 KiB refused (413) at the proxy")

# ---- forged X-Forwarded-For must not multiply the token rate limit (TOKEN_RATE_LIMIT=5, one used above)
limited=false
for i in 1 2 3 4 5 6; do
  code=$(curl "${tls[@]}" -o /dev/null -w '%{http_code}' -X POST "$https/api/v2/token" -H "X-Forwarded-For: 198.51.100.$i" \
    -d username=admin -d password=wrong-password-123)
  [ "$code" = 429 ] && limited=true && break
done
[ "$limited" = true ] || die "forged X-Forwarded-For values escaped the token rate limit"
verified+=("X-Forwarded-For overwritten by the proxy: forged addresses still hit the token rate limit (429)")

# ---- the event-bus bridge: SockJS info and the WebSocket upgrade through the proxy
bridge_direct=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port/eventbus/info")
cat >"$work/ws_client.py" <<'PY'
import base64, hashlib, os, socket, ssl, struct, sys
port, cafile, host = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, ctx.wrap_socket(raw, server_hostname=host) as s:
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /eventbus/websocket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    if status != 101:
        server = next((l for l in lines if l.lower().startswith("server:")), "")
        print(f"{status} {server}")
        sys.exit(0)
    accept = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("sec-websocket-accept:")), "")
    expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    if accept != expected:
        print(f"101 bad-accept {accept}")
        sys.exit(0)
    # A masked ping; the far end must answer with a pong carrying the same payload.
    payload, mask = b"proxy-check", os.urandom(4)
    s.sendall(bytes([0x89, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    buf = rest
    while True:
        while len(buf) < 2:
            buf += s.recv(4096)
        opcode, length = buf[0] & 0x0F, buf[1] & 0x7F
        offset = 2
        if length == 126:
            while len(buf) < 4:
                buf += s.recv(4096)
            length, offset = struct.unpack(">H", buf[2:4])[0], 4
        while len(buf) < offset + length:
            buf += s.recv(4096)
        body, buf = buf[offset:offset + length], buf[offset + length:]
        if opcode == 0xA:
            print("101 pong" if body == payload else "101 pong-mismatch")
            break
        if opcode == 0x8:
            print("101 closed")
            break
PY
ws_report=$(python3 "$work/ws_client.py" "$https_port" "$work/tls/fullchain.pem" "$host") || die "WebSocket check failed to run"

if [ "$bridge_direct" = 200 ]; then
  info=$(curl "${tls[@]}" "$https/eventbus/info") || die "GET /eventbus/info through the proxy failed"
  echo "$info" | grep -q '"websocket" *: *true' || die "SockJS info through the proxy: $info"
  [ "$ws_report" = "101 pong" ] || die "WebSocket upgrade of /eventbus/websocket through the proxy: $ws_report"
  verified+=("event-bus bridge: SockJS /eventbus/info and a WebSocket upgrade (101, ping -> pong) through the proxy")
else
  [ "${REQUIRE_EVENTBUS_BRIDGE:-0}" = 1 ] && die "this build has no event-bus bridge (/eventbus/info answered $bridge_direct)"
  log "NOT VERIFIED: this build has no event-bus bridge (/eventbus/info answered $bridge_direct on the service);"
  log "  the upgrade request for /eventbus/websocket went through nginx and the service answered: $ws_report"
  verified+=("event-bus bridge NOT VERIFIED against the service (no bridge in this build; upgrade request answered: $ws_report)")

  # The example's /eventbus/ location against a stub WebSocket upstream: 400 unless nginx passed the upgrade on.
  stub_port=$(free_port)
  cat >"$work/ws_stub.py" <<'PY'
import base64, hashlib, socketserver, sys
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
class Upgrade(socketserver.BaseRequestHandler):
    def handle(self):
        s, data = self.request, b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                return
            data += chunk
        lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        if headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in headers.get("connection", "").lower():
            s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return
        accept = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + GUID).encode()).digest()).decode()
        s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
        buf = b""
        while len(buf) < 6 or len(buf) < 6 + (buf[1] & 0x7F):
            chunk = s.recv(4096)
            if not chunk:
                return
            buf += chunk
        length, mask = buf[1] & 0x7F, buf[2:6]
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(buf[6:6 + length]))
        if buf[0] & 0x0F == 0x9:
            s.sendall(bytes([0x8A, len(payload)]) + payload)
        s.recv(4096)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("127.0.0.1", int(sys.argv[1])), Upgrade).serve_forever()
PY
  python3 "$work/ws_stub.py" "$stub_port" &
  stub_pid=$!
  sed -i "s|server 127.0.0.1:$api_port;|server 127.0.0.1:$stub_port;|" "$work/site.conf"
  kill -HUP "$nginx_pid"
  stub_report=""
  for _ in $(seq 1 30); do
    sleep 0.2
    stub_report=$(python3 "$work/ws_client.py" "$https_port" "$work/tls/fullchain.pem" "$host" 2>/dev/null) || true
    [ "$stub_report" = "101 pong" ] && break
  done
  [ "$stub_report" = "101 pong" ] || die "the example's /eventbus/ location did not carry a WebSocket upgrade to a stub upstream: $stub_report"
  verified+=("the example's /eventbus/ location upgrades a WebSocket end to end (101, ping -> pong) against a stub upstream")
fi

for line in "${verified[@]}"; do
  echo "  ok: $line"
done
echo "nginx proxy check (docs/nginx/contact-center-api.conf, nginx $("$NGINX" -v 2>&1 | sed 's|.*/||')): OK"
