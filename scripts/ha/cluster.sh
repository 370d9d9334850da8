#!/usr/bin/env bash
# A pg_auto_failover cluster on loopback for tests and measurements: one monitor and two Postgres 15 nodes
# (primary + synchronous standby), each with its own data dir and port under one base dir owned by `postgres`.
# Postgres refuses to run as root, so every server runs as the `postgres` user (runuser when started as root).
# Usage: cluster.sh up BASE PORT0 [tuned|default] | down BASE | state BASE | primary BASE | pid BASE NODE |
#        kill BASE NODE | stop BASE NODE | freeze BASE NODE | thaw BASE NODE | tune BASE tuned|default | psql BASE NODE ARGS…
#        up-proxied BASE PORT0 tuned|default MONPORT1 MONPORT2 | start BASE NODE|monitor | switchover BASE
#        (stop, freeze and thaw take monitor as NODE too)
# Ports: monitor PORT0, node1 PORT0+1, node2 PORT0+2. NODE is node1 or node2.
# up-proxied (the failover suite, bench/failover/): each node's Postgres listens on 127.0.0.1 only but registers
# as 127.0.0.11 (node1) or 127.0.0.12 (node2) on its port, and each keeper reaches the monitor at 127.0.0.1 on
# MONPORT1 or MONPORT2, so every link between the three can pass through a TCP proxy of the caller's (which must
# be listening on those addresses before this runs), while the hub side still dials 127.0.0.1 directly. No
# --pg-hba-lan (it looks for an interface holding 127.0.0.11): initdb's trust rules for 127.0.0.1 admit the
# proxies' connections.
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
export PATH="$PGBIN:$PATH"

die() { echo "cluster.sh: $*" >&2; exit 2; }

# The command line that runs "$@" as postgres with the cluster's own XDG dirs, so pg_autoctl's config and
# state stay in BASE (in the array PG_CMD).
pg_cmd() {
  local base=$1; shift
  PG_CMD=(env "PATH=$PATH" "HOME=$base" "XDG_CONFIG_HOME=$base/xdg/config" "XDG_DATA_HOME=$base/xdg/data" "XDG_RUNTIME_DIR=$base/xdg/run" "PGHOST=127.0.0.1" "$@")
  if [[ $(id -u) -eq 0 ]]; then PG_CMD=(runuser -u postgres -- "${PG_CMD[@]}"); fi
}

as_pg() {
  pg_cmd "$@"
  "${PG_CMD[@]}"
}

port_of() {
  local base=$1 node=$2 port0
  port0=$(cat "$base/port0")
  case $node in
    monitor) echo "$port0" ;;
    node1) echo $((port0 + 1)) ;;
    node2) echo $((port0 + 2)) ;;
    *) die "unknown node $node" ;;
  esac
}

monitor_uri() { echo "postgres://autoctl_node@127.0.0.1:$(port_of "$1" monitor)/pg_auto_failover?sslmode=disable"; }

# Start one pg_autoctl (monitor or keeper) in the background in a process group of its own, so a fault can
# take the whole node (keeper, its workers and its postgres) at once; its log in BASE/NODE.log, the group
# id in BASE/NODE.pid.
launch() {
  local base=$1 node=$2; shift 2
  pg_cmd "$base" "$@"
  setsid "${PG_CMD[@]}" >>"$base/$node.log" 2>&1 &
  echo $! >"$base/$node.pid"
}

wait_for() {
  local what=$1 limit=$2; shift 2
  local i
  for ((i = 0; i < limit * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "timed out after ${limit}s waiting for $what"
}

psql_at() {
  local base=$1 node=$2; shift 2
  as_pg "$base" psql -X -qAt -h 127.0.0.1 -p "$(port_of "$base" "$node")" -U postgres -d postgres "$@"
}

# Monitor GUCs (milliseconds). Default: pg_auto_failover 2.0's own values. Tuned: see docs/ha.md.
tune() {
  local base=$1 mode=$2 g
  # health_check_period health_check_timeout health_check_max_retries health_check_retry_delay
  # node_considered_unhealthy_timeout primary_demote_timeout
  local names=(health_check_period health_check_timeout health_check_max_retries health_check_retry_delay
    node_considered_unhealthy_timeout primary_demote_timeout)
  local tuned=(1000 1000 1 500 4000 6000)
  local args=() i
  for i in "${!names[@]}"; do
    g="pgautofailover.${names[$i]}"
    case $mode in
      default) args+=(-c "ALTER SYSTEM RESET $g") ;;
      tuned) args+=(-c "ALTER SYSTEM SET $g = ${tuned[$i]}") ;;
      *) die "tune: tuned or default" ;;
    esac
  done
  # ALTER SYSTEM runs outside a transaction, so one -c per statement; the monitor's superuser is postgres.
  as_pg "$base" psql -X -qAt -h 127.0.0.1 -p "$(port_of "$base" monitor)" -U postgres -d pg_auto_failover "${args[@]}" -c "SELECT pg_reload_conf()" >/dev/null
  if [[ $mode == tuned ]]; then
    # The keeper's own clock: it demotes itself when it has reached neither monitor nor standby for this long.
    local n
    for n in node1 node2; do
      as_pg "$base" pg_autoctl config set --pgdata "$base/$n" timeout.network_partition_timeout 3 >/dev/null
      as_pg "$base" pg_autoctl reload --pgdata "$base/$n" >/dev/null 2>&1 || true
    done
  fi
}

up() {
  local base=$1 port0=$2 mode=${3:-default}
  mkdir -p "$base/xdg/config" "$base/xdg/data" "$base/xdg/run"
  echo "$port0" >"$base/port0"
  chmod 700 "$base/xdg/run"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres "$base"; fi
  launch "$base" monitor pg_autoctl create monitor --pgdata "$base/monitor" --pgport "$port0" --hostname 127.0.0.1 \
    --auth trust --no-ssl --run
  wait_for monitor 60 as_pg "$base" pg_isready -h 127.0.0.1 -p "$port0" -d pg_auto_failover
  wait_for "monitor schema" 60 as_pg "$base" psql -X -qAt -h 127.0.0.1 -p "$port0" -U autoctl_node -d pg_auto_failover -c "SELECT 1 FROM pgautofailover.formation"
  local n
  for n in node1 node2; do
    launch "$base" "$n" pg_autoctl create postgres --pgdata "$base/$n" --pgport "$(port_of "$base" "$n")" --hostname 127.0.0.1 \
      --name "$n" --monitor "$(monitor_uri "$base")" --auth trust --no-ssl --pg-hba-lan --run
    # The second node joins only once the first is primary, so node1 is always the first primary.
    if [[ $n == node1 ]]; then wait_for "node1 primary" 180 has_state "$base" node1 single; fi
  done
  wait_for "secondary" 120 has_state "$base" node2 secondary
  wait_for "primary" 60 has_state "$base" node1 primary
  tune "$base" "$mode"
}

# Whether NODE's reported and assigned state is STATE, as the monitor sees it.
has_state() {
  local base=$1 node=$2 state=$3 row
  row=$(as_pg "$base" psql -X -qAt -h 127.0.0.1 -p "$(port_of "$base" monitor)" -U autoctl_node -d pg_auto_failover \
    -c "SELECT reportedstate || ' ' || goalstate FROM pgautofailover.node WHERE nodename = '$node'")
  [[ $row == "$state $state" ]]
}

state() {
  as_pg "$1" psql -X -qAt -h 127.0.0.1 -p "$(port_of "$1" monitor)" -U autoctl_node -d pg_auto_failover \
    -c "SELECT nodename, nodeport, reportedstate, goalstate FROM pgautofailover.node ORDER BY nodeid"
}

# The node the monitor has settled as the writable one (empty while none is): primary, or wait_primary when
# it runs without a standby (after a failover, until the old primary rejoins).
primary() {
  as_pg "$1" psql -X -qAt -h 127.0.0.1 -p "$(port_of "$1" monitor)" -U autoctl_node -d pg_auto_failover \
    -c "SELECT nodename FROM pgautofailover.node WHERE reportedstate IN ('primary', 'wait_primary') AND goalstate = reportedstate"
}

# The postmaster pid of NODE (first line of postmaster.pid).
pid_of() { head -n1 "$1/$2/postmaster.pid"; }

down() {
  local base=$1 n pid
  for n in node2 node1 monitor; do
    [[ -f $base/$n.pid ]] || continue
    pid=$(cat "$base/$n.pid")
    kill -CONT -- "-$pid" 2>/dev/null || true
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for n in node2 node1 monitor; do
    [[ -f $base/$n.pid ]] || continue
    pid=$(cat "$base/$n.pid")
    local i
    for ((i = 0; i < 100; i++)); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    # A postmaster left behind by a killed keeper.
    if [[ -f $base/$n/postmaster.pid ]]; then kill -KILL "$(head -n1 "$base/$n/postmaster.pid")" 2>/dev/null || true; fi
    rm -f "$base/$n.pid"
  done
}

# The up of the failover suite: the same cluster, every peer-to-peer link through the caller's proxies (header).
up_proxied() {
  local base=$1 port0=$2 mode=$3 mport1=$4 mport2=$5
  mkdir -p "$base/xdg/config" "$base/xdg/data" "$base/xdg/run"
  echo "$port0" >"$base/port0"
  chmod 700 "$base/xdg/run"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres:postgres "$base"; fi
  launch "$base" monitor pg_autoctl create monitor --pgdata "$base/monitor" --pgport "$port0" --hostname 127.0.0.1 \
    --listen 127.0.0.1 --auth trust --no-ssl --run
  wait_for monitor 60 as_pg "$base" pg_isready -h 127.0.0.1 -p "$port0" -d pg_auto_failover
  wait_for "monitor schema" 60 as_pg "$base" psql -X -qAt -h 127.0.0.1 -p "$port0" -U autoctl_node -d pg_auto_failover -c "SELECT 1 FROM pgautofailover.formation"
  local n host mport
  for n in node1 node2; do
    if [[ $n == node1 ]]; then host=127.0.0.11 mport=$mport1; else host=127.0.0.12 mport=$mport2; fi
    launch "$base" "$n" pg_autoctl create postgres --pgdata "$base/$n" --pgport "$(port_of "$base" "$n")" --listen 127.0.0.1 \
      --hostname "$host" --name "$n" --monitor "postgres://autoctl_node@127.0.0.1:$mport/pg_auto_failover?sslmode=disable" \
      --auth trust --no-ssl --run
    if [[ $n == node1 ]]; then wait_for "node1 primary" 180 has_state "$base" node1 single; fi
  done
  wait_for "secondary" 120 has_state "$base" node2 secondary
  wait_for "primary" 60 has_state "$base" node1 primary
  tune "$base" "$mode"
}

# Start a stopped node (or the monitor) again from its data dir, as when a box comes back: its keeper
# rejoins in whatever role the monitor gives it.
start_node() {
  local base=$1 node=$2
  if [[ -f $base/$node.pid ]] && kill -0 -- "-$(cat "$base/$node.pid")" 2>/dev/null; then die "$node is running"; fi
  launch "$base" "$node" pg_autoctl run --pgdata "$base/$node"
}

# A planned switchover through the monitor: the primary hands over to the standby and rejoins as its standby.
switchover() {
  local base=$1
  as_pg "$base" pg_autoctl perform switchover --pgdata "$base/monitor" --wait 60
}

cmd=${1:-}
[[ -n $cmd ]] || die "usage: see the header"
shift
case $cmd in
  up) [[ $# -ge 2 ]] || die "up BASE PORT0 [tuned|default]"; up "$@" ;;
  down) down "$1" ;;
  state) state "$1" ;;
  primary) primary "$1" ;;
  tune) tune "$1" "$2" ;;
  pid) pid_of "$1" "$2" ;;
  psql) psql_at "$@" ;;
  # kill -9 of the node's postmaster only: its keeper lives on and may restart it, as after a crash.
  kill) kill -KILL "$(pid_of "$1" "$2")" ;;
  # The whole node gone (keeper and postgres), as when its machine loses power.
  stop) kill -KILL -- "-$(cat "$1/$2.pid")" ;;
  # Freeze keeper and postgres: nothing answers, connections hang, as behind a cut cable.
  freeze) kill -STOP -- "-$(cat "$1/$2.pid")" ;;
  thaw) kill -CONT -- "-$(cat "$1/$2.pid")" ;;
  up-proxied) [[ $# -eq 5 ]] || die "up-proxied BASE PORT0 tuned|default MONPORT1 MONPORT2"; up_proxied "$@" ;;
  start) start_node "$1" "$2" ;;
  switchover) switchover "$1" ;;
  *) die "unknown command $cmd" ;;
esac
