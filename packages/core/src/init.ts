/**
 * Faultline from the environment alone, before the app's own modules load:
 *
 *   node --import @faultline/core/init app.mjs      (ESM)
 *   node --require @faultline/core/init app.js      (CommonJS)
 *
 * Every setting has a variable (`SENTRY_DSN`, `FAULTLINE_SERVICE`, `FAULTLINE_KAFKA_BROKERS`, ...;
 * see docs/configuration.md). The app gets the handle with `currentObservability()`, or from a
 * later `initObservability()` call, which returns it. Bad settings end the process at start-up
 * with every problem listed and exit status 78 (EX_CONFIG), before the app runs half-observed.
 */
import { ConfigError } from '@faultline/contract';
import { initObservability } from './init-observability.js';

/** sysexits.h: a configuration error. */
const EX_CONFIG = 78;

try {
  initObservability();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`[faultline] ${error.message}\n`);
  process.exit(EX_CONFIG);
}
