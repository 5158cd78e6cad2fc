# closeloop: docker build -t closeloop . && docker run --env-file .env -p 3000:3000 -v closeloop-data:/data closeloop
# Build stage: all dependencies (prisma CLI, typescript) to generate the clients and compile.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY src ./src
# postinstall generates both Prisma clients and compiles src/ to dist/.
RUN npm ci && npm prune --omit=dev

# Run stage: the compiled app, production dependencies, migrations; no compiler, no dev tools, not root.
FROM node:20-bookworm-slim
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
HEALTHCHECK --interval=30s --timeout=5s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The server applies pending migrations at start, under a lock, before it serves webhooks.
CMD ["node", "dist/server.js"]
