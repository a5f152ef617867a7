import { describe, expect, it } from 'vitest';
import { resolveTelemetryOptions } from '../../src/telemetry/TelemetryOptions.js';

describe('resolveTelemetryOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveTelemetryOptions({ endpoint: 'https://c.example/v1/events' })).toEqual({
      endpoint: 'https://c.example/v1/events',
      headers: {},
      batchSize: 50,
      flushIntervalMs: 5000,
      maxQueue: 1000,
      retry: { baseMs: 1000, maxMs: 60_000 },
      persist: true,
    });
  });

  it('keeps what is given', () => {
    const given = {
      endpoint: 'http://localhost:8080/v1/events',
      headers: { Authorization: 'Bearer k' },
      batchSize: 500,
      flushIntervalMs: 100,
      maxQueue: 500,
      retry: { baseMs: 50, maxMs: 50 },
      persist: false,
    };
    expect(resolveTelemetryOptions(given)).toEqual(given);
    // Resolving twice changes nothing (SecureCall may pass resolved options on).
    expect(resolveTelemetryOptions(resolveTelemetryOptions(given))).toEqual(given);
  });

  it.each([
    [undefined, 'telemetry must be an object or false'],
    ['https://c.example', 'telemetry must be an object or false'],
    [{}, 'telemetry.endpoint must be an http(s) URL'],
    [{ endpoint: '/v1/events' }, 'telemetry.endpoint must be an http(s) URL'],
    [{ endpoint: 'ftp://c.example/' }, 'telemetry.endpoint must be an http(s) URL'],
    [{ endpoint: 'javascript:alert(1)' }, 'telemetry.endpoint must be an http(s) URL'],
    [{ endpoint: 42 }, 'telemetry.endpoint must be an http(s) URL'],
    [{ endpoint: 'https://c.example', header: {} }, 'telemetry.header is not a telemetry option'],
    [
      { endpoint: 'https://c.example', headers: [] },
      'telemetry.headers must be an object of strings',
    ],
    [
      { endpoint: 'https://c.example', headers: { 'X-Key': 1 } },
      'telemetry.headers.X-Key must be a string',
    ],
    [
      { endpoint: 'https://c.example', batchSize: 0 },
      'telemetry.batchSize must be an integer from 1 to 500',
    ],
    [
      { endpoint: 'https://c.example', batchSize: 501 },
      'telemetry.batchSize must be an integer from 1 to 500',
    ],
    [
      { endpoint: 'https://c.example', batchSize: 2.5 },
      'telemetry.batchSize must be an integer from 1 to 500',
    ],
    [
      { endpoint: 'https://c.example', flushIntervalMs: 0 },
      'telemetry.flushIntervalMs must be an integer from 1 to 3600000',
    ],
    [
      { endpoint: 'https://c.example', maxQueue: 10 },
      'telemetry.maxQueue must be an integer from 50 to 1000000',
    ],
    [{ endpoint: 'https://c.example', retry: 5 }, 'telemetry.retry must be an object'],
    [
      { endpoint: 'https://c.example', retry: { base: 5 } },
      'telemetry.retry.base is not a retry option',
    ],
    [
      { endpoint: 'https://c.example', retry: { baseMs: 0 } },
      'telemetry.retry.baseMs must be an integer from 1 to 3600000',
    ],
    [
      { endpoint: 'https://c.example', retry: { baseMs: 5000, maxMs: 1000 } },
      'telemetry.retry.maxMs must be an integer from 5000 to 86400000',
    ],
    [{ endpoint: 'https://c.example', persist: 'yes' }, 'telemetry.persist must be a boolean'],
  ])('refuses %j with a TypeError', (options, message) => {
    expect(() => resolveTelemetryOptions(options)).toThrow(new TypeError(message));
  });
});
