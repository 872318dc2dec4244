#!/bin/sh
# Chainport container entrypoint: `api` (default) or `worker`; anything else is run as given
# (e.g. `docker run --rm chainport node -e 'console.log(1)'`).
# Both roles run the production build (dist/, `npm run build`), from /app (the working directory).
set -eu

# Configuration is the API's and the worker's own business (src/config.ts): e.g. with
# CHAINPORT_REQUIRE_CALLERS=true (docker-compose.yml sets it) the API refuses to start without a caller.

# Each role's V8 flags are on its node command line, as `npm run api|worker` give them (why:
# src/cluster/node-flags.ts; NODE_OPTIONS refuses --heap-growing-percent).
role="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$role" in
  api)
    exec node --max-semi-space-size=4 --heap-growing-percent=50 dist/api/server.js "$@"
    ;;
  worker)
    exec node --max-semi-space-size=4 dist/worker.js "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
