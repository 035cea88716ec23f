#!/usr/bin/env bash
# Static checks of the container files, for machines without a Docker engine (CI):
#   1. shellcheck on every shell script of the repository;
#   2. the Dockerfiles: multi-stage build, slim JRE runtime, non-root USER, HEALTHCHECK on /health/live, port 8000,
#      no secret in ENV/ARG, apt hygiene, unpinned `latest` images refused, every COPY source present and let
#      through .dockerignore (hadolint is not packaged in Debian; these are the rules that matter here);
#   3. docker-compose.yml through Debian's docker-compose (`config`), with a .env made from .env.example: postgres
#      15+ with a healthcheck and a named volume, api waiting for a healthy database, the asterisk profile, nothing
#      but the API published, and no default secret (the stack refuses to start without POSTGRES_PASSWORD/SECRET_KEY);
#   4. .env.example lists every variable the service reads, only known ones, and the service's own validation
#      accepts it (the jar's ConfigLoader, run with that environment);
#   5. the Asterisk image's entrypoint renders ari.conf/http.conf from the environment and refuses without them.
# Needs: shellcheck, docker-compose (Debian packages), /usr/bin/python3 with PyYAML (a docker-compose dependency),
# and target/contact-center-api.jar for step 4.
set -euo pipefail
cd "$(dirname "$0")/.."
project=$(pwd)

log() { printf 'container-static-check: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
work=$(mktemp -d /tmp/cc-static.XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---- 1. shell scripts
mapfile -t scripts < <(git ls-files --cached --others --exclude-standard '*.sh' 2>/dev/null ||
  find . -name '*.sh' -not -path './target/*' -not -path '*/node_modules/*')
scripts+=(.ci/run)
shellcheck "${scripts[@]}" || die "shellcheck"
log "ok: shellcheck clean on ${#scripts[@]} scripts"

# ---- 2. Dockerfiles
/usr/bin/python3 - "$project" <<'PY' || die "Dockerfile rules"
import fnmatch, os, re, sys
root = sys.argv[1]
problems = []

def instructions(path):
    text = open(path).read()
    text = re.sub(r"\\\n", " ", text)
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out

def ignored(path):
    # .dockerignore of the repository root: "*" then "!path" exceptions; last match wins.
    rules = [l.strip() for l in open(os.path.join(root, ".dockerignore")) if l.strip() and not l.startswith("#")]
    result = False
    for rule in rules:
        negate = rule.startswith("!")
        pattern = rule[1:] if negate else rule
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/") or fnmatch.fnmatch(path.split("/")[0], pattern):
            result = not negate
    return result

def check(dockerfile, final_user_required, runtime_hint):
    ins = instructions(os.path.join(root, dockerfile))
    if re.match(r"#\s*syntax\s*=", open(os.path.join(root, dockerfile)).readline()):
        problems.append(f"{dockerfile}: a '# syntax=' line makes every BuildKit build pull a frontend from Docker Hub")
    froms = [rest for word, rest in ins if word == "FROM"]
    for image in froms:
        ref = image.split()[0]
        if ":" not in ref or ref.endswith(":latest"):
            problems.append(f"{dockerfile}: FROM {ref} is not pinned to a tag")
    final = [i for i, (w, _) in enumerate(ins) if w == "FROM"][-1]
    stage = ins[final:]
    for word, rest in ins:
        if word in ("ENV", "ARG") and re.search(r"(SECRET|PASSWORD|TOKEN)\w*\s*=?\s*\S", rest, re.I):
            if not re.fullmatch(r"[A-Z_]+", rest.strip()):
                problems.append(f"{dockerfile}: {word} {rest} bakes a secret into the image")
        if word == "RUN" and "apt-get install" in rest:
            if "--no-install-recommends" not in rest:
                problems.append(f"{dockerfile}: apt-get install without --no-install-recommends")
            if "rm -rf /var/lib/apt/lists" not in rest:
                problems.append(f"{dockerfile}: apt lists not removed in the same RUN")
            if " -y" not in rest:
                problems.append(f"{dockerfile}: apt-get install without -y")
        if word in ("COPY", "ADD") and "--from=" not in rest:
            if word == "ADD":
                problems.append(f"{dockerfile}: use COPY, not ADD")
            parts = [p for p in rest.split() if not p.startswith("--")]
            for source in parts[:-1]:
                source = source.rstrip("/")
                if not os.path.exists(os.path.join(root, source)):
                    problems.append(f"{dockerfile}: COPY source {source} does not exist")
                elif ignored(source):
                    problems.append(f"{dockerfile}: COPY source {source} is excluded by .dockerignore")
    if runtime_hint and runtime_hint not in froms[-1]:
        problems.append(f"{dockerfile}: the runtime stage is {froms[-1]}, expected a {runtime_hint} image")
    words = [w for w, _ in stage]
    for needed in ("HEALTHCHECK", "ENTRYPOINT", "EXPOSE"):
        if needed not in words:
            problems.append(f"{dockerfile}: no {needed} in the final stage")
    if final_user_required:
        users = [rest for w, rest in stage if w == "USER"]
        if not users or users[-1].split(":")[0] in ("0", "root"):
            problems.append(f"{dockerfile}: the final stage does not run as a non-root USER")
        elif words.index("USER") > words.index("ENTRYPOINT"):
            problems.append(f"{dockerfile}: USER comes after ENTRYPOINT")
    return ins, stage, froms

ins, stage, froms = check("Dockerfile", True, "-jre")
if len(froms) < 2:
    problems.append("Dockerfile: not a multi-stage build")
health = " ".join(rest for w, rest in stage if w == "HEALTHCHECK")
if "/health/live" not in health:
    problems.append("Dockerfile: HEALTHCHECK does not probe /health/live")
if "8000" not in " ".join(rest for w, rest in stage if w == "EXPOSE"):
    problems.append("Dockerfile: does not EXPOSE 8000")
if "entrypoint.sh" not in " ".join(rest for w, rest in stage if w == "ENTRYPOINT"):
    problems.append("Dockerfile: ENTRYPOINT is not docker/entrypoint.sh")
check("docker/asterisk/Dockerfile", False, "debian:")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
PY
log "ok: Dockerfile and docker/asterisk/Dockerfile follow the rules"

# ---- 3. docker-compose.yml, with a .env made from .env.example
mkdir -p "$work/stack"
cp docker-compose.yml "$work/stack/"
postgres_password=$(openssl rand -hex 24)
secret_key=$(openssl rand -hex 32)
sed -e "s|^POSTGRES_PASSWORD=$|POSTGRES_PASSWORD=$postgres_password|" -e "s|^SECRET_KEY=$|SECRET_KEY=$secret_key|" \
  -e "s|^ADMIN_PASSWORD=$|ADMIN_PASSWORD=$(openssl rand -hex 12)|" .env.example >"$work/stack/.env"
grep -q "^SECRET_KEY=$secret_key" "$work/stack/.env" || die ".env.example has no empty SECRET_KEY= line to fill"
grep -q "^POSTGRES_PASSWORD=$postgres_password" "$work/stack/.env" || die ".env.example has no empty POSTGRES_PASSWORD= line"
# Compose resolves paths against the project directory: let the build contexts point at the repository.
sed -i "s|context: \.|context: $project|" "$work/stack/docker-compose.yml"
(cd "$work/stack" && docker-compose config -q) || die "docker-compose config refused docker-compose.yml"
(cd "$work/stack" && docker-compose --profile asterisk config) >"$work/resolved.yml" || die "docker-compose config --profile asterisk"
/usr/bin/python3 - "$work/resolved.yml" "$postgres_password" <<'PY' || die "compose rules"
import re, sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
password = sys.argv[2]
services = config["services"]
problems = []
pg, api, ast = services.get("postgres"), services.get("api"), services.get("asterisk")
if not (pg and api and ast):
    problems.append(f"services are {sorted(services)}, expected postgres, api, asterisk")
else:
    major = re.match(r"postgres:(\d+)", pg["image"])
    if not major or int(major.group(1)) < 15:
        problems.append(f"postgres image {pg['image']} is not PostgreSQL 15+")
    if "healthcheck" not in pg or "pg_isready" not in " ".join(pg["healthcheck"]["test"]):
        problems.append("postgres has no pg_isready healthcheck")
    if not any(str(v).startswith("pgdata:/var/lib/postgresql/data") for v in pg.get("volumes", [])):
        problems.append("postgres data is not on the named volume pgdata")
    if "pgdata" not in config.get("volumes", {}):
        problems.append("no top-level pgdata volume")
    if pg.get("ports"):
        problems.append("postgres publishes a port")
    if api.get("depends_on", {}).get("postgres", {}).get("condition") != "service_healthy":
        problems.append("api does not wait for a healthy postgres")
    env = api.get("environment", {})
    if env.get("DATABASE_URL") != f"postgresql://contact_center:{password}@postgres:5432/contact_center":
        problems.append(f"api DATABASE_URL is {env.get('DATABASE_URL')}")
    if not env.get("SECRET_KEY"):
        problems.append("api gets no SECRET_KEY")
    if env.get("TRUST_PROXY_HEADERS") != "true":
        problems.append("api does not read .env (TRUST_PROXY_HEADERS from .env.example missing)")
    ports = [str(p) for p in api.get("ports", [])]
    if not ports or not all(p.startswith("127.0.0.1:") for p in ports):
        problems.append(f"api ports {ports}: expected loopback-only by default")
    if ast.get("profiles") != ["asterisk"]:
        problems.append("asterisk is not behind the asterisk profile")
    if ast.get("ports"):
        problems.append("asterisk publishes ports (ARI must stay on the compose network)")
    if not str(ast.get("build", {}).get("dockerfile", "")).endswith("docker/asterisk/Dockerfile"):
        problems.append("asterisk is not built from docker/asterisk/Dockerfile")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
PY
# The cluster profile: two API nodes of one cluster on the same PostgreSQL, in front of two Asterisks.
(cd "$work/stack" && docker-compose --profile cluster config) >"$work/cluster.yml" || die "docker-compose config --profile cluster"
/usr/bin/python3 - "$work/cluster.yml" <<'PY' || die "compose cluster profile rules"
import json, sys, yaml
services = yaml.safe_load(open(sys.argv[1]))["services"]
problems = []
nodes = [services.get("api-1"), services.get("api-2")]
pbxs = [services.get("asterisk-1"), services.get("asterisk-2")]
if None in nodes or None in pbxs:
    problems.append(f"services are {sorted(services)}, expected api-1, api-2, asterisk-1, asterisk-2")
else:
    for name, service in [("api-1", nodes[0]), ("api-2", nodes[1]), ("asterisk-1", pbxs[0]), ("asterisk-2", pbxs[1])]:
        if service.get("profiles") != ["cluster"]:
            problems.append(f"{name} is not behind the cluster profile")
    envs = [node.get("environment", {}) for node in nodes]
    for name, node, env in zip(["api-1", "api-2"], nodes, envs):
        if env.get("CLUSTER_ENABLED") != "true":
            problems.append(f"{name}: CLUSTER_ENABLED is not true")
        if env.get("NODE_NAME") != name or env.get("CLUSTER_HOST") != name:
            problems.append(f"{name}: NODE_NAME/CLUSTER_HOST are {env.get('NODE_NAME')}/{env.get('CLUSTER_HOST')}")
        if sorted(env.get("CLUSTER_MEMBERS", "").split(",")) != ["api-1:5701", "api-2:5701"]:
            problems.append(f"{name}: CLUSTER_MEMBERS is {env.get('CLUSTER_MEMBERS')}")
        if env.get("ARI_SANDBOX") != "false" or env.get("ARI_HTTP_URL"):
            problems.append(f"{name}: the sandbox or ARI_HTTP_URL would be used instead of the server list")
        try:
            servers = json.loads(env.get("ASTERISK_SERVERS", ""))
            urls = sorted(server["ari_url"] for server in servers)
            if urls != ["http://asterisk-1:8088", "http://asterisk-2:8088"]:
                problems.append(f"{name}: ASTERISK_SERVERS points at {urls}")
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"{name}: ASTERISK_SERVERS is not a JSON server list: {e}")
        if node.get("depends_on", {}).get("postgres", {}).get("condition") != "service_healthy":
            problems.append(f"{name} does not wait for a healthy postgres")
        ports = [str(p) for p in node.get("ports", [])]
        if len(ports) != 1 or not ports[0].startswith("127.0.0.1:"):
            problems.append(f"{name} ports {ports}: expected one loopback-only port")
    for key in ("DATABASE_URL", "SECRET_KEY", "CLUSTER_NAME", "ASTERISK_SERVERS"):
        if envs[0].get(key) != envs[1].get(key) or not envs[0].get(key):
            problems.append(f"api-1 and api-2 differ on {key} (or it is empty)")
    if envs[0].get("DATABASE_URL") != services["api"]["environment"].get("DATABASE_URL"):
        problems.append("the cluster nodes do not use the postgres service")
    for name, pbx in [("asterisk-1", pbxs[0]), ("asterisk-2", pbxs[1])]:
        if pbx.get("ports"):
            problems.append(f"{name} publishes ports (ARI must stay on the compose network)")
    if set(map(str, pbxs[0].get("volumes", []))) & set(map(str, pbxs[1].get("volumes", []))):
        problems.append("asterisk-1 and asterisk-2 share a volume")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
PY
# Without the two secrets the stack must refuse to start (no default password, no default key).
grep -v '^POSTGRES_PASSWORD=\|^SECRET_KEY=' "$work/stack/.env" >"$work/stack/.env.nosecret"
mv "$work/stack/.env.nosecret" "$work/stack/.env"
if (cd "$work/stack" && docker-compose config -q) 2>/dev/null; then
  die "docker-compose.yml starts without POSTGRES_PASSWORD/SECRET_KEY"
fi
log "ok: docker-compose.yml ($(docker-compose version --short)): postgres 15+ healthy before api, asterisk and cluster profiles, no default secrets"

# ---- 4. .env.example: complete, nothing unknown, accepted by the service
service_keys=$(/usr/bin/python3 -c 'import json; print("\n".join(json.load(open("conf/config.json"))))')
extra_service_keys="LOG_FORMAT LOG_LEVEL CONFIG_FILE"
stack_keys="POSTGRES_PASSWORD POSTGRES_USER POSTGRES_DB API_BIND API_PORT API_PORT_1 API_PORT_2 API_IMAGE_TAG JAVA_OPTS MIGRATE_ON_START ASTERISK_CONFIG"
example_keys=$(sed -n 's/^#\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\1/p' .env.example | sort -u)
for key in $service_keys $extra_service_keys; do
  echo "$example_keys" | grep -qx "$key" || die ".env.example does not mention $key"
done
for key in $example_keys; do
  echo " $service_keys $extra_service_keys $stack_keys " | tr '\n' ' ' | grep -q " $key " || die ".env.example has unknown variable $key"
done
mkdir -p "$work/run"
cp target/contact-center-api.jar "$work/run/" 2>/dev/null || die "build the jar first: mvn -B package -DskipTests"
env_args=()
while IFS= read -r line; do
  case "$line" in '#'* | '') continue ;; esac
  env_args+=("$line")
done <"$work/stack/.env"
env_args+=(SECRET_KEY="$secret_key" DATABASE_URL="postgresql://contact_center:$postgres_password@postgres:5432/contact_center")
(cd "$work/run" && env -i PATH="$PATH" "${env_args[@]}" java -jar contact-center-api.jar help >/dev/null 2>"$work/config.err") ||
  die ".env.example is refused by the service: $(cat "$work/config.err")"
log "ok: .env.example names all $(echo "$service_keys $extra_service_keys" | wc -w) service variables and the service accepts it"

# ---- 5. the Asterisk image's entrypoint, rendering only
for config in demo production; do
  out="$work/asterisk-$config"
  ASTERISK_ETC=$out CONFIG_SOURCE=$project/conf/asterisk ASTERISK_CONFIG=$config ARI_USERNAME=contact-center \
    ARI_PASSWORD=0123456789abcdef0123 sh docker/asterisk/entrypoint.sh render || die "asterisk entrypoint render ($config)"
  if ! grep -q '^\[contact-center\]' "$out/ari.conf" || ! grep -q '^password = 0123456789abcdef0123$' "$out/ari.conf"; then
    die "ari.conf ($config) does not carry ARI_USERNAME/ARI_PASSWORD"
  fi
  if ! grep -q '^bindaddr = 0.0.0.0$' "$out/http.conf" || ! grep -q '^bindport = 8088$' "$out/http.conf"; then
    die "http.conf ($config) does not serve ARI on 0.0.0.0:8088"
  fi
  if [ ! -f "$out/extensions.conf" ] || [ ! -f "$out/modules.conf" ]; then
    die "the $config configuration was not installed"
  fi
done
grep -q '^\[callee\]' "$work/asterisk-demo/extensions.conf" || die "demo is not the test dialplan"
if ASTERISK_ETC=$work/asterisk-none CONFIG_SOURCE=$project/conf/asterisk ARI_USERNAME=contact-center \
  sh docker/asterisk/entrypoint.sh render 2>/dev/null; then
  die "the asterisk entrypoint starts without ARI_PASSWORD"
fi
log "ok: the Asterisk entrypoint renders demo and production configurations from the environment, and refuses without ARI_PASSWORD"
echo "container static checks: OK"
