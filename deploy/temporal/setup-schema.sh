#!/bin/sh
# Temporal's schema setup job for PostgreSQL, one script for both topologies:
#   - docker-compose.yml runs it in the `temporal-schema` service (image temporalio/admin-tools) before
#     the server starts;
#   - `npm run cluster` runs it with the temporal-sql-tool it built and the schema folder it cached.
# Idempotent: a database that already exists is only migrated (`update-schema` to the newest version of
# the schema folder), so it also upgrades an existing database after a server upgrade.
# Settings: the variable names of Temporal's server config (deploy/temporal/server.yaml).
set -eu

: "${POSTGRES_SEEDS:?host of PostgreSQL}"
: "${POSTGRES_USER:?user}"
: "${DB_PORT:=5432}"
: "${DBNAME:=temporal}"
: "${VISIBILITY_DBNAME:=temporal_visibility}"
: "${SCHEMA_DIR:=/etc/temporal/schema/postgresql/v12}"
# temporal-sql-tool reads the password from SQL_PASSWORD.
export SQL_PASSWORD="${POSTGRES_PWD:-${SQL_PASSWORD:-}}"

setup() {
  db="$1"
  versioned="$2"
  sql="temporal-sql-tool --plugin postgres12 --ep $POSTGRES_SEEDS -p $DB_PORT -u $POSTGRES_USER --db $db"
  if $sql create-database >/dev/null 2>&1; then
    $sql setup-schema -v 0.0
    echo "temporal-schema: created $db"
  fi
  $sql update-schema -d "$versioned"
  echo "temporal-schema: $db is at the newest schema of $versioned"
}

setup "$DBNAME" "$SCHEMA_DIR/temporal/versioned"
setup "$VISIBILITY_DBNAME" "$SCHEMA_DIR/visibility/versioned"
