# PostgreSQL 15 with pg_auto_failover from Debian 12's own packages (the versions docs/ha.md installs on the
# boxes), for deploy/compose.ha.yml: one image for the monitor and both data nodes. pg_autoctl runs as
# `postgres` and keeps its Postgres in the volume mounted at /var/lib/postgresql.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-15-auto-failover ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && install -d -o postgres -g postgres -m 700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    XDG_CONFIG_HOME=/var/lib/postgresql/xdg/config \
    XDG_DATA_HOME=/var/lib/postgresql/xdg/data
USER postgres
WORKDIR /var/lib/postgresql
