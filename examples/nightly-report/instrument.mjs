import { initObservability } from '@faultline/core';

initObservability({ service: 'nightly-report', tracesSampleRate: 1.0 });
