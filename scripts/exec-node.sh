#!/bin/sh
# The long-lived entries (`npm start`, `npm run worker`, `npm run api`, `npm run cluster`) run through
# here as `exec sh scripts/exec-node.sh <node args…>`: npm's shell execs this script, which finds a
# supported Node (this machine's when it is 22.12 or newer, else the provisioned Node 24:
# scripts/supported-node.mjs) and execs it. Nothing waits beside the service for its lifetime: a Node
# parent that spawned the real one held 43 MiB for nothing.
set -e
node_bin=$(node "$(dirname "$0")/supported-node.mjs")
# That Node first on PATH, so everything the service starts uses it too.
PATH="$(dirname "$node_bin"):$PATH"
# glibc serves a block of 128 KiB or more with its own mapping, returned when freed, but raises that
# threshold to the largest such block ever freed (up to 32 MiB): from then on the Temporal core's and
# V8's large buffers came from the heap and stayed resident. Pinned at 128 KiB (pinning it turns the
# raising off), they go back to the system when freed: ~25 MiB less RSS after a bench, with no CPU
# difference beyond the bench's noise (`npm run bench`). One set in the environment still wins.
: "${MALLOC_MMAP_THRESHOLD_:=131072}"
export PATH MALLOC_MMAP_THRESHOLD_
exec "$node_bin" "$@"
