// Loaded with `node --import ./instrument.mjs app.mjs`, so Sentry's instrumentation is in place
// before the app's own modules load. Configuration comes from the environment (SENTRY_DSN, ...).
import { initObservability } from '@faultline/core';

initObservability({ service: 'quickstart', tracesSampleRate: 1.0 });
