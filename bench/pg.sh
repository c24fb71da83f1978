#!/bin/sh
# pg.sh: a throwaway PostgreSQL server for the bench, in a directory of its own.
#
#   bench/pg.sh start DIR   initdb and start a server in DIR; prints the connection string
#   bench/pg.sh env DIR     prints the connection string of the server in DIR
#   bench/pg.sh stop DIR    stops the server and removes DIR
#   bench/pg.sh installed   exits 0 when the server binaries are there, 3 when not
#
#   export QS_BENCH_PG="$(bench/pg.sh start /tmp/qs-pg)"   # what backend_pg.c reads
#
# The server listens only on a unix socket in DIR (no TCP port) and trusts local
# connections: it is a bench fixture, not a service. Exit status: 0 ok, 1 usage or
# failure, 3 PostgreSQL is not installed (the harness then skips PostgreSQL).
#
# Server binaries: $PG_BINDIR if set, else Debian's /usr/lib/postgresql/15/bin, else
# the newest /usr/lib/postgresql/*/bin (tools/bootstrap.sh installs the package).
set -eu

PROG=pg.sh
PORT=5432          # names the socket file DIR/.s.PGSQL.5432; no TCP port is opened
DBNAME=bench
DBUSER=postgres
MARKER=.qs-bench-pg

die() { echo "$PROG: $*" >&2; exit 1; }

usage() {
    echo "usage: $PROG start|stop|env DIR, or $PROG installed" >&2
    exit 1
}

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
    elif [ -x /usr/lib/postgresql/15/bin/initdb ]; then
        echo /usr/lib/postgresql/15/bin
    else
        best="" best_version=0
        for d in /usr/lib/postgresql/*/bin; do
            v=${d#/usr/lib/postgresql/}
            v=${v%/bin}
            case $v in '' | *[!0-9]*) continue ;; esac
            [ "$v" -gt "$best_version" ] && best=$d best_version=$v
        done
        echo "$best"
    fi
}

require_server() {
    BINDIR=$(find_bindir)
    if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ] || [ ! -x "$BINDIR/pg_ctl" ] ||
       [ ! -x "$BINDIR/postgres" ]; then
        echo "$PROG: PostgreSQL server binaries not found (initdb, pg_ctl, postgres in" \
             "${BINDIR:-/usr/lib/postgresql/VERSION/bin}); install the postgresql package" \
             "(tools/bootstrap.sh) or set PG_BINDIR" >&2
        exit 3
    fi
}

# The server refuses to run as root: as root, run it as the postgres system user.
as_server() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$DBUSER" -- "$@"
    else
        "$@"
    fi
}

ensure_server_user() {
    [ "$(id -u)" -eq 0 ] || return 0
    id -u "$DBUSER" >/dev/null 2>&1 && return 0
    echo "$PROG: system user '$DBUSER' is missing (the postgresql package normally" \
         "creates it); creating it" >&2
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
            --shell /bin/sh "$DBUSER" || die "cannot create system user '$DBUSER'"
}

conninfo() {
    echo "host=$1 port=$PORT dbname=$DBNAME user=$DBUSER"
}

# Sized for the 2-core, ~23 GB bench machine that other programs share, for an OLTP
# mix plus one bulk load. The reasons are in the comments written into the file.
write_config() {
    cat >>"$1/postgresql.conf" <<EOF

# ---- quizstore bench ----
# Unix socket in the server's directory only: nothing listens on the network.
listen_addresses = ''
unix_socket_directories = '$2'
port = $PORT
max_connections = 20                # the harness: one writer, a reader per core

# Memory. At S=1 the store takes about 1 GB after 7 days of history (the harness's
# default) and 3.5 GB after 30, of which the interaction log, never read, is 1.6 GB:
# shared_buffers holds the tables and indexes the ops touch, the kernel's page cache
# the rest (the planner is told so), and the other engines keep their memory.
shared_buffers = 1GB
effective_cache_size = 8GB
work_mem = 32MB                     # per sort or hash; the bulk import raises it
maintenance_work_mem = 1GB          # index builds after the bulk load
temp_buffers = 64MB
dynamic_shared_memory_type = mmap   # no dependence on the size of /dev/shm

# Durability: every commit can be made durable. fsync and full_page_writes stay on;
# each session chooses synchronous_commit (on for durable runs, off for lazy ones:
# crash-safe, the newest commits may be lost on power failure).
fsync = on
full_page_writes = on
synchronous_commit = on
wal_sync_method = fdatasync

# WAL: no replication nor archiving, so the minimal level, which lets a bulk load
# into tables created in its own transaction skip WAL entirely.
wal_level = minimal
max_wal_senders = 0
archive_mode = off
wal_buffers = 64MB
wal_compression = lz4               # smaller full-page images after checkpoints

# Checkpoints sized for bulk loads: at most one every 30 min or 16 GB of WAL, spread
# out, so a load is not interrupted by forced checkpoints and full-page-image storms.
max_wal_size = 16GB
min_wal_size = 1GB
checkpoint_timeout = 30min
checkpoint_completion_target = 0.9

# Planner: local SSD; JIT costs more than it saves on short OLTP queries.
random_page_cost = 1.1
effective_io_concurrency = 200
jit = off

# Two cores: one parallel worker per query and per index build.
max_worker_processes = 4
max_parallel_workers = 2
max_parallel_workers_per_gather = 1
max_parallel_maintenance_workers = 1

# Autovacuum, tuned for small aggregate tables updated by every answer (user_summary,
# question_stats, ...): visited every 10 s and vacuumed after 5 % of their rows changed,
# so dead versions do not pile up in the indexes the reads scan, and index-only scans
# find pages marked all-visible. Faster than the defaults, since the disk is an SSD.
autovacuum = on
autovacuum_naptime = 10s
autovacuum_vacuum_scale_factor = 0.05
autovacuum_analyze_scale_factor = 0.05
autovacuum_vacuum_insert_scale_factor = 0.05
autovacuum_vacuum_cost_limit = 2000

logging_collector = off
log_checkpoints = on
EOF
}

start() {
    dir=$1
    require_server
    ensure_server_user
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # A unix socket path holds at most 107 bytes.
    [ ${#dir} -le 90 ] || die "$dir: path too long for a unix socket directory (90 bytes at most)"
    [ -e "$dir/data" ] && die "$dir/data exists: stop the server there first ($PROG stop $dir)"
    touch "$dir/$MARKER"
    cd "$dir"   # a working directory the server's user can enter
    if [ "$(id -u)" -eq 0 ]; then
        chown "$DBUSER:" "$dir"
        chmod 0755 "$dir"
        as_server test -w "$dir" ||
            die "user '$DBUSER' cannot write $dir: every directory above it must be searchable (o+x)"
    fi
    as_server "$BINDIR/initdb" -D "$dir/data" -U "$DBUSER" --auth=trust -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; die "initdb failed in $dir/data"; }
    write_config "$dir/data" "$dir"
    as_server "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        >/dev/null || { cat "$dir/server.log" >&2; die "the server did not start (log: $dir/server.log)"; }
    "$BINDIR/psql" -X -q -h "$dir" -p "$PORT" -U "$DBUSER" -d postgres \
        -c "CREATE DATABASE $DBNAME" >/dev/null || die "cannot create database $DBNAME"
    conninfo "$dir"
}

stop() {
    dir=$1
    [ -d "$dir" ] || die "$dir: no such directory"
    dir=$(cd "$dir" && pwd)
    [ -e "$dir/$MARKER" ] || die "$dir was not made by $PROG start: not removing it"
    if [ -f "$dir/data/postmaster.pid" ]; then
        require_server
        as_server "$BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ||
            die "the server in $dir did not stop"
    fi
    rm -rf "$dir"
}

env_of() {
    dir=$1
    [ -d "$dir/data" ] || die "$dir: no server there ($PROG start $dir)"
    conninfo "$(cd "$dir" && pwd)"
}

[ $# -eq 2 ] || [ "${1:-}" = installed ] || usage
case $1 in
installed) require_server ;;
start) start "$2" ;;
stop) stop "$2" ;;
env) env_of "$2" ;;
*) usage ;;
esac
