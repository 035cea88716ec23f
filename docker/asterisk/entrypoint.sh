#!/bin/sh
# Start of the compose stack's Asterisk: installs one of the project's configurations into /etc/asterisk, writes
# ari.conf and http.conf from the environment (no password is baked into the image), then runs Asterisk in the
# foreground as the unprivileged `asterisk` user.
#
#   asterisk-entrypoint.sh [run]   render the configuration, then exec Asterisk
#   asterisk-entrypoint.sh render  render the configuration only (CI checks it outside Docker)
#
# Environment:
#   ARI_USERNAME, ARI_PASSWORD   the ARI user the api service logs in with (the same .env feeds both)
#   ASTERISK_CONFIG              demo (default): conf/asterisk/test, callees simulated inside Asterisk by the
#                                number's last digit (README "Sandbox test numbers"); use with
#                                ARI_ENDPOINT_TEMPLATE=Local/{digits}@callee/n
#                                production: conf/asterisk/production (edit pjsip.conf for your SIP trunk first)
#   ASTERISK_ETC, CONFIG_SOURCE  where to write and read (defaults /etc/asterisk, /opt/contact-center/asterisk)
set -eu

ASTERISK_ETC=${ASTERISK_ETC:-/etc/asterisk}
CONFIG_SOURCE=${CONFIG_SOURCE:-/opt/contact-center/asterisk}
ASTERISK_CONFIG=${ASTERISK_CONFIG:-demo}

die() { printf 'asterisk-entrypoint: %s\n' "$*" >&2; exit 2; }

case "$ASTERISK_CONFIG" in
  demo) source_dir=$CONFIG_SOURCE/test ;;
  production) source_dir=$CONFIG_SOURCE/production ;;
  *) die "ASTERISK_CONFIG must be demo or production, not '$ASTERISK_CONFIG'" ;;
esac
[ -d "$source_dir" ] || die "no configuration in $source_dir"
[ -n "${ARI_USERNAME:-}" ] || die "ARI_USERNAME is required (the ARI user of the api service)"
[ -n "${ARI_PASSWORD:-}" ] || die "ARI_PASSWORD is required (generate one: openssl rand -hex 24)"
printf '%s' "$ARI_USERNAME" | grep -Eq '^[A-Za-z0-9_.-]{1,64}$' || die "ARI_USERNAME: letters, digits, '_', '.', '-' only"
printf '%s' "$ARI_PASSWORD" | grep -Eq '^[A-Za-z0-9_.~+/=-]{16,}$' ||
  die "ARI_PASSWORD: at least 16 characters among letters, digits and . _ ~ + / = -"

render() {
  mkdir -p "$ASTERISK_ETC"
  cp "$source_dir"/*.conf "$ASTERISK_ETC"/
  # ARI on all interfaces of the container: reachable from the compose network, published nowhere.
  cat >"$ASTERISK_ETC/http.conf" <<CONF
; Written by asterisk-entrypoint.sh: ARI for the compose network (not published to the host).
[general]
enabled = yes
bindaddr = 0.0.0.0
bindport = 8088
servername = Asterisk
CONF
  cat >"$ASTERISK_ETC/ari.conf" <<CONF
; Written by asterisk-entrypoint.sh from ARI_USERNAME / ARI_PASSWORD.
[general]
enabled = yes
pretty = no

[$ARI_USERNAME]
type = user
read_only = no
password_format = plain
password = $ARI_PASSWORD
CONF
  chmod 640 "$ASTERISK_ETC/ari.conf"
}

command=${1:-run}
case "$command" in
  render)
    render
    ;;
  run)
    render
    chown -R asterisk:asterisk "$ASTERISK_ETC" /var/lib/asterisk /var/spool/asterisk /var/log/asterisk /var/run/asterisk
    exec asterisk -f -U asterisk -G asterisk
    ;;
  *)
    exec "$@"
    ;;
esac
