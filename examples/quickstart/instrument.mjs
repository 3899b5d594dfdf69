// Loaded with `node --import ./instrument.mjs app.mjs`, so Sentry's instrumentation is in place
// before the app's own modules load. Configuration comes from the environment, as in production:
// SENTRY_DSN; SENTRY_TRACES_SAMPLE_RATE; FAULTLINE_KAFKA_BROKERS for the Kafka transport (else HTTP); FAULTLINE_SPOOL_DIR;
// FAULTLINE_ERRORS_PER_FINGERPRINT and the other sampling variables (docs/configuration.md).
import { initObservability } from '@faultline/core';

export const observability = initObservability({ service: 'quickstart' });
