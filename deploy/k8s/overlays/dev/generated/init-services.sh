#!/usr/bin/env bash
# Runs once, when the postgres container initialises an empty data volume
# (mounted into /docker-entrypoint-initdb.d). Creates one login role and one
# database owned by it per service, and takes the default CONNECT right away
# from everyone else, so no service can open another's database. Idempotent.
#
# Passwords come from the container's environment (see docker-compose.yml);
# DB_PREFIX (default mp) names them <prefix>_<service>, as `deno task dev` does.
set -euo pipefail

prefix="${DB_PREFIX:-mp}"

create_service_database() {
  local name="${prefix}_$1" password="$2"
  psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v name="$name" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'name', :'password')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L', :'name', :'password') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'name', :'name')
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \gexec
SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'name') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'name', :'name') \gexec
SQL
  echo "init-services: database and role ${name} ready"
}

create_service_database auth "${AUTH_DB_PASSWORD:?AUTH_DB_PASSWORD is required}"
create_service_database notifications "${NOTIFICATIONS_DB_PASSWORD:?NOTIFICATIONS_DB_PASSWORD is required}"
create_service_database users "${USERS_DB_PASSWORD:?USERS_DB_PASSWORD is required}"
create_service_database gigs "${GIGS_DB_PASSWORD:?GIGS_DB_PASSWORD is required}"
create_service_database reviews "${REVIEWS_DB_PASSWORD:?REVIEWS_DB_PASSWORD is required}"
create_service_database orders "${ORDERS_DB_PASSWORD:?ORDERS_DB_PASSWORD is required}"
create_service_database chat "${CHAT_DB_PASSWORD:?CHAT_DB_PASSWORD is required}"
create_service_database media "${MEDIA_DB_PASSWORD:?MEDIA_DB_PASSWORD is required}"
