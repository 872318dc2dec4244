#!/bin/sh
# Chainport container entrypoint: `api` (default) or `worker`; anything else is run as given
# (e.g. `docker run --rm chainport node -e 'console.log(1)'`).
set -eu

# Configuration is the API's and the worker's own business (src/config.ts): e.g. with
# CHAINPORT_REQUIRE_CALLERS=true (docker-compose.yml sets it) the API refuses to start without a caller.

role="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$role" in
  api)
    exec node --import tsx src/api/server.ts "$@"
    ;;
  worker)
    exec node --import tsx src/worker.ts "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
