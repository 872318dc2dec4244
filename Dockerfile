# Chainport image: one image, two roles. `docker run chainport` runs the API (default), `docker run
# chainport worker` runs a worker. It runs the production build (`npm run build`: JavaScript in dist/,
# the workflow bundle made once, the playground built) with production dependencies only: no
# TypeScript loader, no bundler, no test tooling. No Temporal CLI either: the Temporal server is a
# separate service (docker-compose.yml) or Temporal Cloud; TEMPORAL_ADDRESS must point at it.
# No Docker engine in CI: test/cluster/production.test.ts runs what the final stage holds (dist/,
# chains/, playground/dist, `npm ci --omit=dev`, this entrypoint) against a real cluster instead.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- 1. build: every dependency, then dist/ and playground/dist ----------------------------------
# glibc (bookworm), not alpine: the Temporal SDK's native core bridge ships *-linux-gnu binaries.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV SCARF_ANALYTICS=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY playground ./playground
# The playground is built here, never on a request: the code is read-only at run time.
RUN npm run build

# ---- 2. production dependencies only -------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production \
    SCARF_ANALYTICS=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---- 3. runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# glibc's mmap threshold pinned, as scripts/exec-node.sh pins it for `npm run api` / `npm run worker`.
# (The roles' V8 flags are on the entrypoint's node command line: src/cluster/node-flags.ts says why.)
ENV NODE_ENV=production \
    MALLOC_MMAP_THRESHOLD_=131072 \
    HOST=0.0.0.0 \
    PORT=3000 \
    CHAINPORT_DATA_DIR=/app/data \
    CHAINPORT_CHAINS_DIR=/app/chains \
    npm_config_update_notifier=false

# Code and dependencies belong to root and are read-only for the service user; only the data folder
# (dev key / secret key fallbacks, never used when the environment configures them) is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=build /app/dist ./dist
COPY --from=build /app/playground/dist ./playground/dist
COPY chains ./chains
COPY deploy/docker/entrypoint.sh deploy/docker/healthcheck.mjs ./deploy/docker/
RUN chmod 0755 deploy/docker/entrypoint.sh \
 && mkdir -p /app/data \
 && chown node:node /app/data

# The `node` user (uid 1000) of the official image: never root.
USER node

EXPOSE 3000
# API: GET /healthz answers. Worker: its Node process is alive (see deploy/docker/healthcheck.mjs).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "/app/deploy/docker/healthcheck.mjs"]

ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]
CMD ["api"]
