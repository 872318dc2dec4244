#!/bin/sh
# Chainport container entrypoint: `api` (default) or `worker`; anything else is run as given
# (e.g. `docker run --rm chainport node -e 'console.log(1)'`).
# Both roles run the production build (dist/, `npm run build`), from /app (the working directory).
set -eu

# With CHAINPORT_REQUIRE_CALLERS=true (docker-compose.yml sets it), the API refuses to fall back to
# the development key: every replica would make its own, and a caller's key would work on some
# replicas only. A quick `docker run` without callers still gets the development key.
require_callers() {
  [ "${CHAINPORT_REQUIRE_CALLERS:-false}" = "true" ] || return 0
  [ -n "${CHAINPORT_API_KEYS:-}" ] && return 0
  file="${CHAINPORT_CALLERS_FILE:-}"
  if [ -n "$file" ] && [ -r "$file" ] && grep -Eq '^[[:space:]]*(-[[:space:]]*)?key_sha256:' "$file"; then
    return 0
  fi
  echo "chainport: no API caller configured. Set CHAINPORT_API_KEYS (caller_id:key,...) or point" >&2
  echo "CHAINPORT_CALLERS_FILE at a callers file with entries (in docker compose: CHAINPORT_CALLERS_HOST_FILE)." >&2
  echo "Several API instances cannot share the per-container development key." >&2
  exit 64
}

role="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$role" in
  api)
    require_callers
    exec node dist/api/server.js "$@"
    ;;
  worker)
    exec node dist/worker.js "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
