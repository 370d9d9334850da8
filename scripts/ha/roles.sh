#!/usr/bin/env bash
# The three-device layout's install steps (docs/ha.md), sourced by scripts/install.sh for --role monitor,
# primary or secondary: Debian packages, the pg_auto_failover monitor or data node with the tuned timeouts,
# the hub's database user, the hub's store lines in its env file (HUB_STORE, HUB_PG_URL, HUB_PG_NODE,
# HUB_PG_MONITOR_URL) and a drop-in that starts the hub after the keeper. Each step looks first at what is
# there (a data directory, a unit, a role, an env line) so a second run changes nothing. Uses install.sh's
# ROOT, DRY_RUN, ROLE, NODE_NAME, MONITOR_HOST, PG_HOSTS, CONF_DIR, say and run.

HA_PORT=5432
HA_DB=poshub
HA_DB_USER=poshub
HA_MONITOR_PGDATA=/var/lib/postgresql/monitor
HA_NODE_PGDATA=/var/lib/postgresql/hub
HA_UNIT=/etc/systemd/system/pgautofailover.service
# The hub's unit gains After=/Wants= on the keeper here; the single-box unit itself stays as it is.
HA_HUB_DROPIN=/etc/systemd/system/pos-hub.service.d/pgautofailover.conf
# libpq's password file of the postgres user (its home): the replicator's password, see ha_pgpass.
HA_PGPASS=/var/lib/postgresql/.pgpass
HA_PACKAGES=(postgresql-15 postgresql-15-auto-failover pgbackrest)
# Monitor timeouts in ms, docs/ha.md "The settings, and why" (pg_auto_failover defaults in brackets):
# health_check_period 1000 [5000], health_check_timeout 1000 [5000], health_check_max_retries 1 [2],
# health_check_retry_delay 500 [2000], node_considered_unhealthy_timeout 4000 [20000], primary_demote_timeout 6000 [30000].
HA_MONITOR_SETTINGS=(
  "pgautofailover.health_check_period=1000"
  "pgautofailover.health_check_timeout=1000"
  "pgautofailover.health_check_max_retries=1"
  "pgautofailover.health_check_retry_delay=500"
  "pgautofailover.node_considered_unhealthy_timeout=4000"
  "pgautofailover.primary_demote_timeout=6000"
)
# Keeper: a primary that reaches neither monitor nor standby for this long (s) demotes itself [20]. It must
# stay below node_considered_unhealthy_timeout + primary_demote_timeout (10 s) so a cut-off primary has
# stopped taking writes before the standby is promoted.
HA_PARTITION_TIMEOUT_S=3

# Passwords travel in URLs and SQL literals: a safe alphabet keeps both free of quoting.
ha_password() {
  local name=$1 value=${!1:-}
  if [ -z "$value" ]; then
    if [ "$DRY_RUN" = 1 ]; then echo "DRYRUN-$name"; return; fi
    echo "install.sh: set $name in the environment (the same value on every device)" >&2
    exit 2
  fi
  if ! [[ $value =~ ^[A-Za-z0-9._~-]{12,}$ ]]; then
    echo "install.sh: $name must be at least 12 characters of A-Z a-z 0-9 . _ ~ - (it goes into URLs and SQL)" >&2
    exit 2
  fi
  echo "$value"
}

ha_check_args() {
  if ! [[ $NODE_NAME =~ ^[A-Za-z0-9.-]+$ ]]; then echo "install.sh: --hostname must be a host name (got '$NODE_NAME')" >&2; exit 2; fi
  MONITOR_PASSWORD="$(ha_password POS_HUB_MONITOR_PASSWORD)"
  if [ "$ROLE" = monitor ]; then return; fi
  if ! [[ $MONITOR_HOST =~ ^[A-Za-z0-9.-]+$ ]]; then echo "install.sh: --role $ROLE needs --monitor-host (the witness)" >&2; exit 2; fi
  if ! [[ $PG_HOSTS =~ ^[A-Za-z0-9.-]+,[A-Za-z0-9.-]+$ ]]; then echo "install.sh: --role $ROLE needs --pg-hosts A,B (both data nodes, in order)" >&2; exit 2; fi
  case ",$PG_HOSTS," in
    *",$NODE_NAME,"*) ;;
    *) echo "install.sh: --hostname $NODE_NAME is not one of --pg-hosts $PG_HOSTS" >&2; exit 2 ;;
  esac
  REPLICATION_PASSWORD="$(ha_password POS_HUB_REPLICATION_PASSWORD)"
  DB_PASSWORD="$(ha_password POS_HUB_DB_PASSWORD)"
}

# A dry run prints commands with the passwords masked.
ha_mask() {
  local text=$*
  for secret in "${MONITOR_PASSWORD:-}" "${REPLICATION_PASSWORD:-}" "${DB_PASSWORD:-}"; do
    [ -n "$secret" ] && text=${text//"$secret"/***}
  done
  echo "$text"
}
ha_run() {
  if [ "$DRY_RUN" = 1 ]; then say "would run: $(ha_mask "$*")"; else "$@"; fi
}
ha_as_postgres() { ha_run runuser -u postgres -- "$@"; }
# SQL on stdin (never on a command line another user could read in ps).
ha_sql() {
  local db=$1 sql=$2
  if [ "$DRY_RUN" = 1 ]; then say "would run SQL on $db: $(ha_mask "$sql")"; return; fi
  printf '%s\n' "$sql" | runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h /var/run/postgresql -p "$HA_PORT" -d "$db"
}

ha_packages() {
  local missing=() p
  for p in "${HA_PACKAGES[@]}"; do
    if [ "$DRY_RUN" = 1 ] || ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then missing+=("$p"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    ha_run apt-get update
    ha_run env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  else
    say "packages ${HA_PACKAGES[*]} installed"
  fi
  # pg_autoctl runs its own Postgres; Debian's default cluster would take port 5432.
  ha_run systemctl disable --now postgresql
}

# pg_autoctl's unit, then started; waits (bounded) until Postgres answers.
ha_service() {
  local pgdata=$1
  if [ -f "$ROOT$HA_UNIT" ]; then
    say "$HA_UNIT exists; left as it is"
  elif [ "$DRY_RUN" = 1 ]; then
    say "would write $HA_UNIT from: runuser -u postgres -- pg_autoctl show systemd --pgdata $pgdata"
  else
    runuser -u postgres -- pg_autoctl show systemd --pgdata "$pgdata" >"$HA_UNIT.tmp"
    mv "$HA_UNIT.tmp" "$HA_UNIT"
  fi
  ha_run systemctl daemon-reload
  ha_run systemctl enable --now pgautofailover
  if [ "$DRY_RUN" = 1 ]; then say "would wait for postgres on port $HA_PORT (pg_isready, up to 120 s)"; return; fi
  local i
  for ((i = 0; i < 240; i++)); do
    if runuser -u postgres -- pg_isready -q -h /var/run/postgresql -p "$HA_PORT"; then return; fi
    sleep 0.5
  done
  echo "install.sh: postgres did not answer on port $HA_PORT within 120 s: journalctl -u pgautofailover" >&2
  exit 1
}

ha_monitor() {
  if [ -f "$ROOT$HA_MONITOR_PGDATA/PG_VERSION" ]; then
    say "monitor data in $HA_MONITOR_PGDATA exists; not created again"
  else
    ha_as_postgres pg_autoctl create monitor --pgdata "$HA_MONITOR_PGDATA" --pgport "$HA_PORT" --hostname "$NODE_NAME" \
      --auth scram-sha-256 --ssl-self-signed
  fi
  # pg_autoctl admits autoctl_node over TLS only (hostssl); the hubs' client (doctor, the failover request)
  # connects without TLS, as to the data nodes, so they need a plain line too (scram: no password on the wire).
  ha_hba "$HA_MONITOR_PGDATA/pg_hba.conf" "host pg_auto_failover autoctl_node samenet scram-sha-256"
  ha_service "$HA_MONITOR_PGDATA"
  local settings="" s
  for s in "${HA_MONITOR_SETTINGS[@]}"; do settings+="ALTER SYSTEM SET ${s%%=*} = ${s#*=};"$'\n'; done
  ha_sql pg_auto_failover "ALTER USER autoctl_node PASSWORD '$MONITOR_PASSWORD';
${settings}SELECT pg_reload_conf();"
}

ha_data_node() {
  local monitor_uri="postgres://autoctl_node:$MONITOR_PASSWORD@$MONITOR_HOST:$HA_PORT/pg_auto_failover?sslmode=require"
  ha_pgpass
  if [ -f "$ROOT$HA_NODE_PGDATA/PG_VERSION" ]; then
    say "data node in $HA_NODE_PGDATA exists; not created again"
  else
    ha_create_node "$monitor_uri"
  fi
  # Before the keeper first runs: its primary_conninfo (streaming, pg_rewind) authenticates with it.
  ha_config_set "$HA_NODE_PGDATA" replication.password "$REPLICATION_PASSWORD"
  ha_config_set "$HA_NODE_PGDATA" timeout.network_partition_timeout "$HA_PARTITION_TIMEOUT_S"
  ha_hba "$HA_NODE_PGDATA/pg_hba.conf" "host $HA_DB $HA_DB_USER samenet scram-sha-256"
  # pg_rewind (the old primary rejoining after a failover) reads the database postgres; pg_autoctl's own
  # lines admit the replicator to --dbname only.
  ha_hba "$HA_NODE_PGDATA/pg_hba.conf" "host postgres pgautofailover_replicator samenet scram-sha-256"
  ha_service "$HA_NODE_PGDATA"
  if [ "$ROLE" = primary ]; then
    # Roles replicate: created once on the primary, the standby has them too.
    ha_sql postgres "ALTER USER pgautofailover_replicator PASSWORD '$REPLICATION_PASSWORD';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$HA_DB_USER') THEN CREATE ROLE $HA_DB_USER LOGIN; END IF;
END \$\$;
ALTER ROLE $HA_DB_USER PASSWORD '$DB_PASSWORD';
GRANT pg_monitor TO $HA_DB_USER;
ALTER DATABASE $HA_DB OWNER TO $HA_DB_USER;
SELECT pg_reload_conf();"
  else
    ha_sql postgres "SELECT pg_reload_conf();"
  fi
}

# The first node registered becomes the primary, the second its synchronous standby.
ha_create_node() {
  local monitor_uri=$1
  ha_as_postgres pg_autoctl create postgres --pgdata "$HA_NODE_PGDATA" --pgport "$HA_PORT" \
    --hostname "$NODE_NAME" --name "$NODE_NAME" --monitor "$monitor_uri" --auth scram-sha-256 --ssl-self-signed --dbname "$HA_DB" --pg-hba-lan
}

# pg_autoctl 2.0 signs in to the other node as pgautofailover_replicator without the password of its config
# when it copies a node afresh: the standby's base backup inside `create`, and an old primary that pg_rewind
# cannot bring back after a failover, failed "fe_sendauth: no password supplied" on a scram cluster. libpq's
# password file serves them, and keeps the password off argv and out of the environment.
ha_pgpass() {
  local file="$ROOT$HA_PGPASS" line="*:*:*:pgautofailover_replicator:$REPLICATION_PASSWORD" kept=""
  mkdir -p "$(dirname "$file")"
  if [ -f "$file" ]; then kept="$(grep -v ':pgautofailover_replicator:' "$file" || true)"; fi
  (umask 077 && printf '%s\n' ${kept:+"$kept"} "$line" >"$file.tmp")
  mv "$file.tmp" "$file"
  ha_run chown postgres:postgres "$HA_PGPASS"
  say "wrote $HA_PGPASS (pgautofailover_replicator, mode 600)"
}

# `pg_autoctl config set` echoes the value it set: the password must not reach the terminal or a log.
ha_config_set() {
  if [ "$DRY_RUN" = 1 ]; then ha_as_postgres pg_autoctl config set --pgdata "$@"; return; fi
  runuser -u postgres -- pg_autoctl config set --pgdata "$@" >/dev/null
}

# One pg_hba.conf line, added once: pg_autoctl's own are hostssl and name --dbname only, so the hubs' plain
# (non-TLS) connections and pg_rewind's need their own.
ha_hba() {
  local hba=$1 line=$2
  if [ "$DRY_RUN" = 1 ]; then say "would add to $hba (once): $line"; return; fi
  if ! grep -qxF "$line" "$hba"; then printf '%s\n' "$line" >>"$hba"; fi
}

# The store lines, replaced when present, appended when not; every other line kept. HUB_PG_NODE names this
# box's own node (without it hub B would take hub A's node, the URL's first, for its own and lead by it);
# HUB_PG_MONITOR_URL lets a follower ask for a failover when the leader hub stops serving (docs/ha.md).
# The hub's Postgres client speaks no TLS: no sslmode in either URL (pg_hba.conf admits it, see ha_hba).
ha_env_file() {
  local file=$1 hosts="" h url monitor_url
  IFS=',' read -r -a ha_hosts <<<"$PG_HOSTS"
  for h in "${ha_hosts[@]}"; do hosts+="${hosts:+,}$h:$HA_PORT"; done
  url="postgres://$HA_DB_USER:$DB_PASSWORD@$hosts/$HA_DB?target_session_attrs=read-write"
  monitor_url="postgres://autoctl_node:$MONITOR_PASSWORD@$MONITOR_HOST:$HA_PORT/pg_auto_failover"
  ha_env_line "$file" HUB_STORE postgres
  ha_env_line "$file" HUB_PG_URL "$url"
  ha_env_line "$file" HUB_PG_NODE "$NODE_NAME:$HA_PORT"
  ha_env_line "$file" HUB_PG_MONITOR_URL "$monitor_url"
  say "set HUB_STORE=postgres, HUB_PG_URL=$(ha_mask "$url"), HUB_PG_NODE=$NODE_NAME:$HA_PORT and HUB_PG_MONITOR_URL=$(ha_mask "$monitor_url") in $CONF_DIR/env"
}

# The hub starts after this box's keeper (its own node answers sooner) and pulls it in; Wants, not Requires:
# a keeper restart must not stop the hub. A drop-in, so the single-box unit is untouched.
ha_hub_dropin() {
  mkdir -p "$ROOT$(dirname "$HA_HUB_DROPIN")"
  printf '%s\n' "# Written by scripts/install.sh --role $ROLE (docs/ha.md): start after this box's pg_auto_failover keeper." \
    "[Unit]" "After=pgautofailover.service" "Wants=pgautofailover.service" >"$ROOT$HA_HUB_DROPIN"
  chmod 644 "$ROOT$HA_HUB_DROPIN"
  say "wrote $HA_HUB_DROPIN"
}
ha_env_line() {
  local file=$1 key=$2 value=$3
  if grep -q "^$key=" "$file"; then
    sed -i "s|^$key=.*|$key=$value|" "$file"
  else
    printf '%s=%s\n' "$key" "$value" >>"$file"
  fi
}
