# A Node.js service with Faultline, from the environment alone (no code change).
# Build: docker build -f deploy/docker/service.Dockerfile -t checkout .   (from your service's repo)
FROM node:24-slim

WORKDIR /app
COPY package.json package-lock.json ./
# @faultline/core and @sentry/node (and kafkajs for the Kafka transport) are dependencies of the app.
RUN npm ci --omit=dev
COPY . .

# The spool: envelopes wait here while Kafka is away. Mount a volume on it (an emptyDir keeps the
# backlog through container restarts, a persistent volume through rescheduling). Each process of
# the service takes a slot of its own under it.
ENV FAULTLINE_SPOOL_DIR=/var/spool/faultline/checkout
RUN mkdir -p /var/spool/faultline && chown node:node /var/spool/faultline
VOLUME /var/spool/faultline

# Not root: the image's `node` user. The spool refuses a directory another user owns.
USER node

# Faultline flushes on SIGTERM, then exits 143 even as PID 1 (no --init needed).
STOPSIGNAL SIGTERM

# SENTRY_DSN (or SENTRY_DSN_FILE), FAULTLINE_SERVICE, FAULTLINE_KAFKA_BROKERS come from the deploy.
CMD ["node", "--import", "@faultline/core/init", "server.mjs"]
