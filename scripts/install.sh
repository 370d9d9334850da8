#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Installs the POS hub as a systemd service on a Raspberry Pi or any Linux box: checks Node 20+,
# creates the `pos-hub` system user and /var/lib/pos-hub, writes /etc/pos-hub/env (once), installs
# the unit and starts it. `--root DIR` is a dry run that writes every file under DIR and runs no
# useradd, chown, npm or systemctl — what the tests use, and a way to review the files first.
# `--role primary|secondary|monitor` sets up the three-device layout of docs/ha.md: the Debian packages,
# the pg_auto_failover monitor or data node with its tuned timeouts, and (on the data nodes) the hub with
# HUB_STORE=postgres, its own node and the monitor, started after the keeper. Every step checks what is
# already there, so a second run changes nothing.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: sudo scripts/install.sh [--root DIR] [--app-dir DIR] [--no-start] [--role ROLE ...]
  --root DIR     dry run: write files under DIR, change nothing on this system
  --app-dir DIR  where the hub's code lives (default: $POS_HUB_DIR, else this checkout)
  --no-start     install and enable the service without starting it
  --role ROLE    single (default: one box, SQLite), or the three-device layout of docs/ha.md:
                 monitor (the witness), primary (first data node + hub), secondary (second data node + hub)
  --hostname H   this device's name as the others reach it (default: hostname -s)
  --monitor-host H          the witness (primary, secondary)
  --pg-hosts A,B            both data nodes, in order (primary, secondary): HUB_PG_URL names them
Passwords come from the environment (never the command line): POS_HUB_MONITOR_PASSWORD (autoctl_node on
the monitor), POS_HUB_REPLICATION_PASSWORD (pgautofailover_replicator), POS_HUB_DB_PASSWORD (the hub's
database user). Use the same three values on every device.
USAGE
}

ROOT=""
APP_DIR="${POS_HUB_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
START=1
ROLE=single
NODE_NAME="$(hostname -s 2>/dev/null || hostname)"
MONITOR_HOST=""
PG_HOSTS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --role) [ $# -ge 2 ] || { usage >&2; exit 2; }; ROLE="$2"; shift 2 ;;
    --role=*) ROLE="${1#--role=}"; shift ;;
    --hostname) [ $# -ge 2 ] || { usage >&2; exit 2; }; NODE_NAME="$2"; shift 2 ;;
    --hostname=*) NODE_NAME="${1#--hostname=}"; shift ;;
    --monitor-host) [ $# -ge 2 ] || { usage >&2; exit 2; }; MONITOR_HOST="$2"; shift 2 ;;
    --monitor-host=*) MONITOR_HOST="${1#--monitor-host=}"; shift ;;
    --pg-hosts) [ $# -ge 2 ] || { usage >&2; exit 2; }; PG_HOSTS="$2"; shift 2 ;;
    --pg-hosts=*) PG_HOSTS="${1#--pg-hosts=}"; shift ;;
    --root) [ $# -ge 2 ] || { usage >&2; exit 2; }; ROOT="$2"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --app-dir) [ $# -ge 2 ] || { usage >&2; exit 2; }; APP_DIR="$2"; shift 2 ;;
    --app-dir=*) APP_DIR="${1#--app-dir=}"; shift ;;
    --no-start) START=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

DRY_RUN=0
if [ -n "$ROOT" ]; then
  DRY_RUN=1
  mkdir -p "$ROOT"
  ROOT="$(cd "$ROOT" && pwd)"
fi

say() { echo "install.sh: $*"; }
# Runs a command that changes the system, or only prints it in a dry run.
run() {
  if [ "$DRY_RUN" = 1 ]; then say "would run: $*"; else "$@"; fi
}

# --- the three-device layout (docs/ha.md): monitor, primary, secondary ----------------------------
case "$ROLE" in
  single|monitor|primary|secondary) ;;
  *) echo "install.sh: --role must be single, monitor, primary or secondary (got $ROLE)" >&2; exit 2 ;;
esac
if [ "$ROLE" != single ]; then
  # shellcheck source=ha/roles.sh
  . "$(dirname "${BASH_SOURCE[0]}")/ha/roles.sh"
  ha_check_args
  if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo), or use --root DIR for a dry run" >&2
    exit 1
  fi
  ha_packages
  if [ "$ROLE" = monitor ]; then
    ha_monitor
    say "done. The witness runs the pg_auto_failover monitor; now run --role primary on the first data node."
    exit 0
  fi
  ha_data_node
fi

SERVICE_USER=pos-hub
DATA_DIR=/var/lib/pos-hub
CONF_DIR=/etc/pos-hub
UNIT_PATH=/etc/systemd/system/pos-hub.service
BIN_LINK=/usr/local/bin/pos-hub

# --- Node 20+ ---------------------------------------------------------------------------------
NODE_BIN="$(command -v node || true)"
if [ -z "$NODE_BIN" ]; then
  echo "install.sh: Node.js 20 or newer is required (node not found on PATH)" >&2
  exit 1
fi
NODE_MAJOR="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -ne 20 ]; then
  # The pinned uWebSockets.js build has native binaries up to Node 20 only; the hub exits 79 elsewhere.
  echo "install.sh: the hub runs on Node.js 20 (20.12 or newer 20.x); found $("$NODE_BIN" --version). See README \"Runtime\"." >&2
  exit 1
fi
say "node $("$NODE_BIN" --version) at $NODE_BIN"

if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo), or use --root DIR for a dry run" >&2
  exit 1
fi
if [ ! -f "$APP_DIR/src/main.ts" ] || [ ! -f "$APP_DIR/deploy/pos-hub.service" ]; then
  echo "install.sh: $APP_DIR does not look like the pos-hub code (set POS_HUB_DIR or --app-dir)" >&2
  exit 1
fi

# The unit's ProtectHome=true makes /home, /root and /run/user invisible to the service: a checkout
# there installs cleanly and then fails at start with a bare "No such file". Refuse it up front.
APP_REAL="$(cd "$APP_DIR" && pwd -P)"
case "$APP_REAL/" in
  /home/*|/root/*|/run/user/*)
    echo "install.sh: $APP_REAL is under /home, /root or /run/user, which the service cannot see (the unit sets ProtectHome=true)." >&2
    echo "install.sh: move the code elsewhere, e.g. sudo cp -a \"$APP_REAL\" /opt/pos-hub, then: sudo POS_HUB_DIR=/opt/pos-hub bash /opt/pos-hub/scripts/install.sh" >&2
    exit 1
    ;;
esac

# --- user and data directory ------------------------------------------------------------------
if id "$SERVICE_USER" >/dev/null 2>&1 && [ "$DRY_RUN" = 0 ]; then
  say "user $SERVICE_USER exists"
else
  NOLOGIN="$(command -v nologin || echo /usr/sbin/nologin)"
  run useradd --system --no-create-home --home-dir /nonexistent --shell "$NOLOGIN" --user-group "$SERVICE_USER"
fi

mkdir -p "$ROOT$DATA_DIR" "$ROOT$CONF_DIR" "$ROOT$(dirname "$UNIT_PATH")" "$ROOT$(dirname "$BIN_LINK")"
chmod 750 "$ROOT$DATA_DIR"
run chown "$SERVICE_USER:$SERVICE_USER" "$DATA_DIR"

# The terminal page and the SDK bundle are build artefacts (git-ignored): without them /terminal/ and
# /sdk/pos-hub-sdk.js are 404. The build only writes under $APP_DIR/src/public, so it also runs in a
# --root dry run (with the checkout's node_modules); any failure stops the install with its output.
# For real it runs as the build user, like npm: the bundler is a dependency's code.
build_web() {
  if [ ! -d "$APP_DIR/node_modules/esbuild" ]; then
    echo "install.sh: $APP_DIR/node_modules has no esbuild: run npm ci there first (the web build needs the dev dependencies)" >&2
    exit 1
  fi
  say "building the terminal page and the SDK (scripts/build-web.mjs)"
  local as_user=()
  if [ "$DRY_RUN" = 0 ] && [ "$(id -u)" = 0 ]; then as_user=(runuser -u "$BUILD_USER" --); fi
  if ! (cd "$APP_DIR" && "${as_user[@]}" "$NODE_BIN" scripts/build-web.mjs); then
    echo "install.sh: the web build failed (output above); the install stopped here" >&2
    exit 1
  fi
  for artefact in src/public/terminal/app.js src/public/sdk/pos-hub-sdk.js; do
    if [ ! -s "$APP_DIR/$artefact" ]; then
      echo "install.sh: the web build did not produce $artefact" >&2
      exit 1
    fi
  done
}

# --- dependencies: never as root ---------------------------------------------------------------
# npm runs package install scripts (better-sqlite3's and uWS's native set-up among them); as root they
# could change anything on this box. They run as the checkout's owner, or as the service user when
# root owns the checkout (the checkout is then handed to it; the unit still mounts it read-only).
# Full install first: the terminal page bundle is built with esbuild (a dev dependency), then pruned.
BUILD_USER="$(stat -c %U "$APP_DIR")"
if [ "$BUILD_USER" = root ]; then
  BUILD_USER="$SERVICE_USER"
  run chown -R "$SERVICE_USER:$SERVICE_USER" "$APP_DIR"
fi
NPM_CACHE_DIR=/tmp/pos-hub-npm-cache.XXXXXX
if [ "$DRY_RUN" = 0 ]; then NPM_CACHE_DIR="$(mktemp -d /tmp/pos-hub-npm-cache.XXXXXX)"; fi
run chown "$BUILD_USER" "$NPM_CACHE_DIR"
# Runs a command as the build user, with a throw-away npm cache (the service user has no home).
as_build_user() {
  run runuser -u "$BUILD_USER" -- env HOME="$NPM_CACHE_DIR" npm_config_cache="$NPM_CACHE_DIR" "$@"
}
if [ -f "$APP_DIR/package-lock.json" ]; then
  as_build_user npm --prefix "$APP_DIR" ci --no-audit --no-fund
  build_web
  as_build_user npm --prefix "$APP_DIR" prune --omit=dev --no-audit --no-fund
fi
if [ "$DRY_RUN" = 0 ]; then rm -rf "$NPM_CACHE_DIR"; fi

# --- /etc/pos-hub/env: written once, never overwritten (it holds the Odoo password) -------------
ENV_FILE="$ROOT$CONF_DIR/env"
if [ -f "$ENV_FILE" ]; then
  say "$CONF_DIR/env exists; left as it is"
else
  install -m 640 "$APP_DIR/deploy/pos-hub.env" "$ENV_FILE"
  say "wrote $CONF_DIR/env (set ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD there)"
fi
run chown "root:$SERVICE_USER" "$CONF_DIR/env"
# A data node's hub writes to the cluster: set (or replace) the store lines, keep every other edit.
if [ "$ROLE" = primary ] || [ "$ROLE" = secondary ]; then ha_env_file "$ENV_FILE"; fi

# --- systemd unit and the CLI -----------------------------------------------------------------
sed -e "s|@APP_DIR@|$APP_DIR|g" -e "s|@NODE@|$NODE_BIN|g" "$APP_DIR/deploy/pos-hub.service" > "$ROOT$UNIT_PATH.tmp"
chmod 644 "$ROOT$UNIT_PATH.tmp"
mv "$ROOT$UNIT_PATH.tmp" "$ROOT$UNIT_PATH"
say "wrote $UNIT_PATH"
ln -sfn "$APP_DIR/bin/pos-hub.js" "$ROOT$BIN_LINK"
say "linked $BIN_LINK -> $APP_DIR/bin/pos-hub.js"
if [ "$ROLE" = primary ] || [ "$ROLE" = secondary ]; then ha_hub_dropin; fi

run systemctl daemon-reload
if [ "$START" = 1 ]; then
  run systemctl enable --now pos-hub
else
  run systemctl enable pos-hub
fi

say "done. Next:"
say "  1. edit $CONF_DIR/env (Odoo URL, database, user, password; HUB_ADMIN_TOKEN for resets)"
say "  2. sudo pos-hub doctor"
say "  3. sudo systemctl restart pos-hub; journalctl -u pos-hub -f"
say "  dashboard: http://<this-host>:8766/   metrics: http://<this-host>:8766/metrics"
say "  wss:// for terminals: sudo $APP_DIR/scripts/venue-cert.sh <hub-name> <hub-ip> (docs/tls.md)"
