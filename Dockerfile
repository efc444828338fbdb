# Ringside: the API, Socket.IO gateway, jobs and the built agent console on one port.
# Production runs against the MongoDB replica set from docker-compose.yml (MONGODB_URI),
# so the embedded database is not built in the image (RINGSIDE_SKIP_DB_SETUP=1).
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV RINGSIDE_SKIP_DB_SETUP=1
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY telephony/package.json telephony/
COPY server/package.json server/
COPY agent-ui/package.json agent-ui/
COPY scripts/ scripts/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production RINGSIDE_SKIP_DB_SETUP=1 PORT=3000
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s CMD node -e "fetch('http://127.0.0.1:3000/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# As npm start: the web process with a bounded heap; the worker it forks gets its own flags.
CMD ["node", "--max-old-space-size=1024", "--import", "tsx", "server/src/main.ts"]
