# Chainport image: one image, two roles. `docker run chainport` runs the API (default), `docker run
# chainport worker` runs a worker. TypeScript runs through tsx (a runtime dependency): no build step.
# No Temporal CLI in here: in production the Temporal server is a separate service (docker-compose.yml)
# or Temporal Cloud; TEMPORAL_ADDRESS must point at it.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- 1. production dependencies only -------------------------------------------------------------
# glibc (bookworm), not alpine: the Temporal SDK's native core bridge ships *-linux-gnu binaries.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production \
    SCARF_ANALYTICS=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# ---- 2. runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# Node 24 sizes V8's young generation for throughput: with its default an API process serving 500
# streams peaked near 370 MiB; 4 MiB semi-spaces keep it under 300 with lower stream lag (npm run bench).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4 \
    HOST=0.0.0.0 \
    PORT=3000 \
    CHAINPORT_DATA_DIR=/app/data \
    CHAINPORT_CHAINS_DIR=/app/chains \
    npm_config_update_notifier=false

# Code and dependencies belong to root and are read-only for the service user; only the data folder
# (dev key / secret key fallbacks, never used when the environment configures them) is writable.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY chains ./chains
COPY playground ./playground
COPY deploy/docker/entrypoint.sh deploy/docker/healthcheck.mjs ./deploy/docker/
# The playground is built into the image: the code is read-only at run time, so it cannot build itself there.
RUN ./node_modules/.bin/vite build playground \
 && chmod 0755 deploy/docker/entrypoint.sh \
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
