#!/bin/sh
# The long-lived entries (`npm start`, `npm run worker`, `npm run api`, `npm run cluster`) run through here:
# `sh scripts/exec-node.sh <node args…>` finds a supported Node (this machine's when it is 22.12 or newer,
# else the provisioned Node 24: scripts/supported-node.mjs) and replaces itself with it. Nothing waits
# beside the service for its lifetime: a Node parent that spawned the real one held 43 MiB for nothing.
set -e
node_bin=$(node "$(dirname "$0")/supported-node.mjs")
# That Node first on PATH, so everything the service starts uses it too.
PATH="$(dirname "$node_bin"):$PATH"
# glibc keeps freed heap memory when less than its trim threshold sits free at the top, and that
# threshold grows with the largest block ever freed (up to 32 MiB per arena): the Temporal core's and
# V8's freed buffers stayed resident. Fixed at 128 KiB, the service returns them: ~25 MiB less after
# a bench, for a few percent more of the Node process's CPU under a tight poll loop (`npm run bench`).
# One in the environment still wins.
: "${MALLOC_TRIM_THRESHOLD_:=131072}"
export PATH MALLOC_TRIM_THRESHOLD_
exec "$node_bin" "$@"
