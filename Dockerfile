# One image for the gateway and every service. docker-compose.yml chooses the
# entry module and its least-privilege `deno serve` flags per container.

# The web front end, built under Node from its lock file; only web/dist is kept
# (the gateway serves it at `/`, gateway/web.ts).
FROM node:20.20-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM denoland/deno:2.9.5

WORKDIR /app
RUN chown deno:deno /app
USER deno

COPY --chown=deno:deno . .
COPY --from=web --chown=deno:deno /web/dist /app/web/dist

# Fetch every dependency at build time, enforcing the committed lock file, so a
# container never downloads anything at run time.
RUN deno install --frozen \
 && deno cache --frozen gateway/main.ts services/*/main.ts

ENTRYPOINT ["deno"]
CMD ["--version"]
