# The intake: Sentry's ingest protocol over HTTP for any SDK, into the envelope topic.
# Build: docker build -f deploy/docker/intake.Dockerfile -t faultline-intake deploy/docker
FROM node:24-slim

WORKDIR /opt/faultline
RUN npm install --omit=dev --no-audit --no-fund @faultline/intake \
  && npm cache clean --force
ENV PATH=/opt/faultline/node_modules/.bin:$PATH

# The spool holds what Kafka has not taken yet: mount a volume here, so that it outlives the container.
RUN mkdir -p /var/lib/faultline-intake && chown node:node /var/lib/faultline-intake
VOLUME /var/lib/faultline-intake
ENV FAULTLINE_INTAKE_SPOOL_DIR=/var/lib/faultline-intake/spool

USER node

# SDKs send here; /healthz, /readyz and /metrics are on the same port.
ENV FAULTLINE_INTAKE_PORT=3000
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# On SIGTERM it stops taking connections, answers the requests in flight, then exits.
STOPSIGNAL SIGTERM

# FAULTLINE_KAFKA_BROKERS and FAULTLINE_INTAKE_DSNS come from the deploy.
ENTRYPOINT ["faultline-intake"]
