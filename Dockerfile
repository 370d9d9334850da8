# syntax=docker/dockerfile:1
# The POS hub image, for amd64 and arm64 (docker buildx build --platform linux/amd64,linux/arm64 .).
# Stage 1 installs dependencies (with a compiler in case better-sqlite3 has no prebuilt binary for the
# platform) and builds the terminal page; stage 2 is a slim runtime that runs as the unprivileged
# `node` user. mDNS is off: multicast rarely crosses a container network (terminals get the URL).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The terminal page and the SDK bundle (src/public/terminal/app.js, src/public/sdk/): esbuild is a dev
# dependency, so build before pruning; a failed build fails the image.
RUN node scripts/build-web.mjs \
 && test -s src/public/terminal/app.js && test -s src/public/sdk/pos-hub-sdk.js \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HUB_HOST=0.0.0.0 \
    HUB_HTTP_PORT=8766 \
    HUB_DB_PATH=/data/hub.sqlite \
    HUB_MDNS_ENABLED=false
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src ./src
COPY --from=build /app/actors ./actors
COPY --from=build /app/workers ./workers
COPY --from=build /app/bin ./bin
RUN mkdir -p /data && chown node:node /data \
 && ln -s /app/bin/pos-hub.js /usr/local/bin/pos-hub
USER node
VOLUME ["/data"]
EXPOSE 8766
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HUB_HTTP_PORT || 8766) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "src/main.ts"]
