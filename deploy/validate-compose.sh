#!/usr/bin/env bash
# Validates docker-compose.yml with `docker compose config -q`, in every profile combination the README
# uses. Needs the Compose v2 CLI (`docker compose` plugin, or a standalone v2 `docker-compose`); no
# Docker daemon. A placeholder CHAINPORT_SECRET_KEY is supplied when none is set, since the file
# requires one.
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1 && docker-compose version --short 2>/dev/null | grep -Eq '^v?[2-9]'; then
  compose=(docker-compose)
else
  echo "validate-compose: needs the Docker Compose v2 CLI (docker compose); none found" >&2
  exit 2
fi

export CHAINPORT_SECRET_KEY="${CHAINPORT_SECRET_KEY:-$(head -c 32 /dev/urandom | base64)}"
echo "using: $("${compose[@]}" version)"
for profiles in "" "--profile redis" "--profile redis --profile tools"; do
  # shellcheck disable=SC2086 # word splitting of $profiles is intended
  "${compose[@]}" -f docker-compose.yml $profiles config -q
  echo "ok: ${compose[*]} -f docker-compose.yml ${profiles:+$profiles }config -q"
done
