#!/bin/sh
# Chainport container entrypoint: `api` (default) or `worker`; anything else is run as given
# (e.g. `docker run --rm chainport node -e 'console.log(1)'`).
# Both roles run the production build (dist/, `npm run build`), from /app (the working directory).
set -eu

# Configuration is the API's and the worker's own business (src/config.ts): e.g. with
# CHAINPORT_REQUIRE_CALLERS=true (docker-compose.yml sets it) the API refuses to start without a caller.

# V8 flags of both roles, as `npm run api|worker` give them (why: src/cluster/node-flags.ts). Not in
# NODE_OPTIONS, which refuses --heap-growing-percent.
node_flags="--max-semi-space-size=4 --heap-growing-percent=50"

role="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$role" in
  api)
    exec node $node_flags dist/api/server.js "$@"
    ;;
  worker)
    exec node $node_flags dist/worker.js "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
