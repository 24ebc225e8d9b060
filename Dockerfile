# userapi image: build with the full toolchain, ship only the compiled API and
# its production dependencies. The final stage writes nothing at runtime, so it
# runs with a read-only root filesystem (compose.yaml and the chart enforce it).

# Node.js 24 (Active LTS), pinned by tag and digest so rebuilds are reproducible.
# Without a registry (air-gapped, a mirror), pass another image of the same
# Node.js version: --build-arg NODE_IMAGE=... (`npm run image:base` makes one).
ARG NODE_IMAGE=node:24.12.0-bookworm-slim@sha256:7326fb2dbdce998edd72140946851be64ef4a643e8715e138ca467e8e9d92c99
FROM ${NODE_IMAGE} AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Bundles the API into build/api/main.js (esbuild), the Lua scripts beside it.
FROM base AS build
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts
COPY scripts/build.ts ./scripts/
COPY api ./api
# The source map embeds the TypeScript sources, and nothing enables source
# maps at runtime: it stays out of the image.
RUN npm run build && rm build/api/main.js.map

# Production dependencies only; its own stage so a source change does not
# reinstall them and no dev tool reaches the final image.
FROM base AS deps
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts

FROM base AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
# Files stay owned by root: the app user can read them but not change them.
# package.json carries the version the API reports. The bundle holds every
# dependency except swagger-ui-dist, whose files /docs serves from disk.
COPY package.json ./
COPY --from=deps /app/node_modules/swagger-ui-dist ./node_modules/swagger-ui-dist
COPY --from=build /app/build ./build
# Numeric so Kubernetes' runAsNonRoot can verify it; not 1337 (Istio's sidecar).
USER 10001:10001
EXPOSE 8080
# Uses node itself: the slim image has no curl, and none is installed.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node directly (no npm, no shell) so SIGTERM reaches the server's drain logic.
CMD ["node", "build/api/main.js"]
