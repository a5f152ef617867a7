#!/usr/bin/env bash
# Starts a local PostgreSQL for the collector tests and prints its URL on stdout (last line).
# Idempotent; meant to run as root (CI, dev machines): installs Debian's `postgresql` if missing,
# starts the first cluster, creates role and database. Everything else goes to stderr.
#
#   REKEY_PG_USER (rekey)  REKEY_PG_PASSWORD (rekey)  REKEY_PG_DB (rekey_test)  REKEY_PG_PORT (5432)
set -euo pipefail

user="${REKEY_PG_USER:-rekey}"
password="${REKEY_PG_PASSWORD:-rekey}"
db="${REKEY_PG_DB:-rekey_test}"
port="${REKEY_PG_PORT:-5432}"
log() { echo "start-postgres: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "run as root (it may apt-get install postgresql and runs psql as the postgres user)"
  exit 1
fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  log "installing postgresql from apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

# The newest installed cluster; create one if the package came without ("main" is the default).
version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^${version} main$"; then
  log "creating cluster ${version}/main"
  pg_createcluster "${version}" main --port "${port}" >&2
fi
cluster_port="$(pg_lsclusters -h | awk -v v="${version}" '$1==v && $2=="main" {print $3}')"
if [ "${cluster_port}" != "${port}" ]; then
  log "cluster ${version}/main listens on ${cluster_port}, not ${port}; using ${cluster_port}"
  port="${cluster_port}"
fi

status="$(pg_lsclusters -h | awk -v v="${version}" '$1==v && $2=="main" {print $4}')"
if [ "${status}" != "online" ]; then
  log "starting cluster ${version}/main"
  pg_ctlcluster "${version}" main start >&2
fi

# Wait until it accepts connections (start can return before the socket is up).
for _ in $(seq 1 60); do
  if su postgres -c "pg_isready -q -p ${port}" 2>/dev/null; then break; fi
  sleep 0.5
done
su postgres -c "pg_isready -q -p ${port}" || { log "PostgreSQL did not become ready"; exit 1; }

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtA -p ${port} $*"; }

# Identifiers and password are fixed/simple by contract (letters, digits, underscore).
for value in "${user}" "${db}" "${password}"; do
  [[ "${value}" =~ ^[A-Za-z0-9_]+$ ]] || { log "user, db and password must match [A-Za-z0-9_]+"; exit 1; }
done

if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '${user}'\"")" != "1" ]; then
  log "creating role ${user}"
  psql_admin "-c \"CREATE ROLE ${user} LOGIN SUPERUSER PASSWORD '${password}'\""
else
  psql_admin "-c \"ALTER ROLE ${user} LOGIN SUPERUSER PASSWORD '${password}'\""
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '${db}'\"")" != "1" ]; then
  log "creating database ${db}"
  su postgres -c "createdb -p ${port} -O ${user} ${db}"
fi

url="postgres://${user}:${password}@127.0.0.1:${port}/${db}"
# Password authentication over TCP on 127.0.0.1 is Debian's default (scram-sha-256); check it.
PGPASSWORD="${password}" psql -qtA "postgresql://${user}@127.0.0.1:${port}/${db}" -c 'SELECT 1' >/dev/null \
  || { log "cannot log in as ${user} over TCP"; exit 1; }
log "ready"
echo "${url}"
