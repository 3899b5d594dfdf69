import { initObservability } from '@faultline/core';

initObservability({ service: 'order-worker', tracesSampleRate: 1.0 });
