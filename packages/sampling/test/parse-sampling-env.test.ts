import { describe, expect, it } from 'vitest';
import { parseSamplingEnv } from '../src/index.js';

describe('parseSamplingEnv', () => {
  it('reads every variable', () => {
    const parsed = parseSamplingEnv({
      FAULTLINE_TRACES_RULES: 'route:/health*=0; *=0.1',
      FAULTLINE_TRACES_TARGET_PER_MINUTE: '600',
      FAULTLINE_TRACES_HEALTH_CHECK_RATE: '0',
      FAULTLINE_ERRORS_PER_MINUTE: '120',
      FAULTLINE_ERRORS_PER_FINGERPRINT: '5',
      FAULTLINE_ERRORS_SAMPLE_RATE: '0.2',
      FAULTLINE_DROP_LEVELS_UNDER_LOAD: 'info, DEBUG',
      FAULTLINE_PEAK_HOURS: '09:00-17:00 Europe/Berlin',
      FAULTLINE_BACKPRESSURE: 'off',
      FAULTLINE_ERRORS_SAMPLING: 'no',
    });
    expect(parsed).toMatchObject({
      rules: [
        { kind: 'route', rate: 0 },
        { kind: 'any', rate: 0.1 },
      ],
      targetPerMinute: 600,
      healthCheckRate: 0,
      errorsPerMinute: 120,
      errorsPerFingerprint: 5,
      errorsSampleRate: 0.2,
      dropLevelsUnderLoad: ['info', 'debug'],
      peakHours: '09:00-17:00 Europe/Berlin',
      backpressure: false,
      errorsSampling: false,
      problems: [],
    });
  });

  it('treats empty variables as unset', () => {
    expect(parseSamplingEnv({ FAULTLINE_TRACES_RULES: ' ', FAULTLINE_ERRORS_PER_MINUTE: '' })).toEqual({
      problems: [],
    });
  });

  it.each([
    ['FAULTLINE_TRACES_RULES', 'route:/x=2', 'rule "route:/x=2": rate "2" is not a number from 0 to 1'],
    ['FAULTLINE_TRACES_RULES', 'checkout=0.5', 'rule "checkout=0.5": expected <kind>:<pattern> before "="'],
    ['FAULTLINE_TRACES_TARGET_PER_MINUTE', '0', 'at least 1'],
    ['FAULTLINE_TRACES_TARGET_PER_MINUTE', 'lots', 'at least 1'],
    ['FAULTLINE_TRACES_HEALTH_CHECK_RATE', '-1', 'a number from 0 to 1'],
    ['FAULTLINE_ERRORS_PER_MINUTE', '0.5', 'at least 1'],
    ['FAULTLINE_ERRORS_PER_FINGERPRINT', '2.5', 'a whole number'],
    ['FAULTLINE_ERRORS_SAMPLE_RATE', '10%', 'a number from 0 to 1'],
    ['FAULTLINE_DROP_LEVELS_UNDER_LOAD', 'info,trace', 'levels separated by commas'],
    ['FAULTLINE_DROP_LEVELS_UNDER_LOAD', 'fatal', 'levels separated by commas'],
    ['FAULTLINE_PEAK_HOURS', '9-17', '"9-17" is not a range like 09:00-17:00'],
    ['FAULTLINE_PEAK_HOURS', '09:00-17:00 Mars/Olympus', 'unknown time zone "Mars/Olympus"'],
    ['FAULTLINE_BACKPRESSURE', 'sometimes', 'true or false'],
    ['FAULTLINE_ERRORS_SAMPLING', 'partly', 'true or false'],
  ])('reports %s=%j with the expected form', (name, value, expected) => {
    const { problems } = parseSamplingEnv({ [name]: value });
    expect(problems).toEqual([
      { source: name, value: JSON.stringify(value), expected: expect.stringContaining(expected) },
    ]);
  });
});
