# syntax=docker/dockerfile:1
# clvstream container image: `docker build -t clvstream .`
#   docker run --rm clvstream --help
#   docker run --rm -e KAFKA_BROKERS=... -e REDIS_URL=... -p 8080:8080 clvstream        # run (the default)
#   docker run --rm clvstream generate --out - --customers 100 --rate 100 --duration 5
# Settings come from the environment (names in src/config/settings.ts); the image
# holds no configuration and no secrets.

ARG NODE_IMAGE=node:24-slim

# ---- build: all dependencies, compile TypeScript, then drop the dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# npm ci's postinstall applies patches/ (patch-package) to the installed dependencies.
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web console, bundled by Vite into dist/console (served at /console/).
COPY console ./console
COPY schemas ./schemas
RUN npm run build \
 && npm prune --omit=dev \
 && find dist -name '*.map' -delete

# ---- runtime: compiled code and production dependencies only, as a non-root user
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HTTP_PORT=8080
WORKDIR /app
RUN groupadd --system --gid 10001 clvstream \
 && useradd --system --uid 10001 --gid clvstream --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin clvstream
COPY --from=build --chown=root:root /app/package.json ./package.json
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/schemas ./schemas
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
EXPOSE 8080
# node:*-slim has neither curl nor wget; Node's fetch does the probe.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run"]
