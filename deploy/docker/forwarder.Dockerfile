# The forwarder: consumes the envelope topic and delivers to Sentry's ingest (or a Relay).
# Build: docker build -f deploy/docker/forwarder.Dockerfile -t faultline-forwarder deploy/docker
FROM node:24-slim

WORKDIR /opt/faultline
RUN npm install --omit=dev --no-audit --no-fund @faultline/forwarder kafkajs@2.2.4 \
  && npm cache clean --force
ENV PATH=/opt/faultline/node_modules/.bin:$PATH

USER node

# /metrics, /healthz and /readyz.
ENV FAULTLINE_FORWARDER_METRICS_PORT=9464
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# On SIGTERM it stops reading, lets requests in flight finish, commits and leaves the group.
STOPSIGNAL SIGTERM

# FAULTLINE_KAFKA_BROKERS and FAULTLINE_FORWARDER_ALLOWED_DSNS come from the deploy.
ENTRYPOINT ["faultline-forwarder"]
CMD ["run"]
