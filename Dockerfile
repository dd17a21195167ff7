# One image for the gateway and every service. docker-compose.yml chooses the
# entry module and its least-privilege `deno serve` flags per container.
FROM denoland/deno:2.9.5

WORKDIR /app
RUN chown deno:deno /app
USER deno

COPY --chown=deno:deno . .

# Fetch every dependency at build time, enforcing the committed lock file, so a
# container never downloads anything at run time.
RUN deno install --frozen \
 && deno cache --frozen gateway/main.ts services/*/main.ts

ENTRYPOINT ["deno"]
CMD ["--version"]
