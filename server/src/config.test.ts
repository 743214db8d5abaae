/**
 * The environment, read once at start: what each variable defaults to, which values it takes,
 * and that a bad one fails fast with an error naming it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CONFIG_ENV_NAMES,
  ConfigError,
  LOCAL_CONFIG_ENV_NAMES,
  readConfig,
  readLambdaConfig,
  readLocalConfig,
} from './config.js';

/** What Lambda always provides; the rest is the function's own environment. */
const LAMBDA_ENV = { TABLE_NAME: 'items', AWS_REGION: 'eu-west-1' };
/**
 * What Terraform gives the function besides: the key listing cursors are signed with, and the
 * table of idempotency records.
 */
const LAMBDA_SECRETS = { CURSOR_KEY: 'k'.repeat(64), IDEMPOTENCY_TABLE_NAME: 'items-idempotency' };

/** Runs `read` and returns the ConfigError it throws (failing if it throws nothing else). */
function configError(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('readConfig (the Lambda)', () => {
  it('defaults everything but the table and region', () => {
    const config = readConfig(LAMBDA_ENV);

    expect(config).toEqual({
      tableName: 'items',
      region: 'eu-west-1',
      dynamodbEndpoint: undefined,
      dynamodbTimeoutMs: 3_000,
      dynamodbMaxAttempts: 3,
      maxBodyBytes: 400 * 1024,
      events: {
        busName: undefined,
        source: 'dynamo',
        deadLetterQueueUrl: undefined,
        maxAttempts: 3,
      },
      logLevel: 'INFO',
      idempotency: { tableName: undefined, ttlSeconds: 86_400 },
    });
  });

  it('reads every variable it is given', () => {
    const env = {
      ...LAMBDA_ENV,
      DYNAMODB_ENDPOINT: 'http://localhost:8000',
      DYNAMODB_TIMEOUT_MS: '250',
      DYNAMODB_MAX_ATTEMPTS: '5',
      MAX_BODY_BYTES: '1024',
      EVENT_BUS_NAME: 'items-bus',
      EVENT_SOURCE: 'shop.items',
      DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/events-dlq',
      EVENTS_MAX_ATTEMPTS: '4',
      POWERTOOLS_LOG_LEVEL: 'debug',
      IDEMPOTENCY_TABLE_NAME: 'items-replays',
      IDEMPOTENCY_TTL_SECONDS: '3600',
    };

    const config = readConfig(env);

    expect(config).toEqual({
      tableName: 'items',
      region: 'eu-west-1',
      dynamodbEndpoint: 'http://localhost:8000',
      dynamodbTimeoutMs: 250,
      dynamodbMaxAttempts: 5,
      maxBodyBytes: 1024,
      events: {
        busName: 'items-bus',
        source: 'shop.items',
        deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/events-dlq',
        maxAttempts: 4,
      },
      logLevel: 'DEBUG',
      idempotency: { tableName: 'items-replays', ttlSeconds: 3600 },
    });
  });

  it('takes the environment over the defaults it is passed', () => {
    const config = readConfig(LAMBDA_ENV, {
      tableName: 'fallback',
      region: 'us-east-1',
      dynamodbEndpoint: 'http://fallback:1',
    });

    expect(config.tableName).toBe('items');
    expect(config.region).toBe('eu-west-1');
    expect(config.dynamodbEndpoint).toBe('http://fallback:1');
  });

  it.each([
    ['TABLE_NAME', { AWS_REGION: 'eu-west-1' }],
    ['AWS_REGION', { TABLE_NAME: 'items' }],
    ['AWS_REGION', { TABLE_NAME: 'items', AWS_REGION: '' }],
  ])('fails naming %s when it is missing (%j)', (name, env) => {
    const error = configError(() => readConfig(env));

    expect(error.message).toMatch(new RegExp(`^${name} must`));
  });

  it('reads only the variables it lists', () => {
    expect(CONFIG_ENV_NAMES).toEqual([
      'TABLE_NAME',
      'AWS_REGION',
      'DYNAMODB_ENDPOINT',
      'DYNAMODB_TIMEOUT_MS',
      'DYNAMODB_MAX_ATTEMPTS',
      'MAX_BODY_BYTES',
      'EVENT_BUS_NAME',
      'EVENT_SOURCE',
      'DLQ_URL',
      'EVENTS_MAX_ATTEMPTS',
      'CORS_ALLOW_ORIGINS',
      'POWERTOOLS_LOG_LEVEL',
      'CURSOR_KEY',
      'CORS_ALLOW_HEADERS',
      'IDEMPOTENCY_TABLE_NAME',
      'IDEMPOTENCY_TTL_SECONDS',
    ]);
    expect(LOCAL_CONFIG_ENV_NAMES).toEqual([
      ...CONFIG_ENV_NAMES,
      'HOST',
      'PORT',
      'DATA_DIR',
      'EVENTS_WEBHOOK_URL',
    ]);
  });
});

describe('TABLE_NAME', () => {
  it.each(['abc', 'items', 'My_Table-1.v2', 'a'.repeat(255)])('accepts %j', (tableName) => {
    const config = readConfig({ ...LAMBDA_ENV, TABLE_NAME: tableName });

    expect(config.tableName).toBe(tableName);
  });

  it.each(['', 'ab', 'a'.repeat(256), 'has space', 'semi;colon', 'ünïcode', 'slash/name'])(
    'refuses %j, naming TABLE_NAME and the value',
    (tableName) => {
      const error = configError(() => readConfig({ ...LAMBDA_ENV, TABLE_NAME: tableName }));

      expect(error.message).toMatch(/^TABLE_NAME must be a DynamoDB table name/);
      expect(error.message).toContain(JSON.stringify(tableName));
    },
  );
});

describe('DYNAMODB_ENDPOINT', () => {
  it.each([
    'http://localhost:8000',
    'https://dynamodb.eu-west-1.amazonaws.com',
    'HTTP://127.0.0.1:4566/',
  ])('accepts the http(s) URL %j', (endpoint) => {
    const config = readConfig({ ...LAMBDA_ENV, DYNAMODB_ENDPOINT: endpoint });

    expect(config.dynamodbEndpoint).toBe(endpoint);
  });

  it('treats an empty value as unset', () => {
    const config = readConfig({ ...LAMBDA_ENV, DYNAMODB_ENDPOINT: '' });

    expect(config.dynamodbEndpoint).toBeUndefined();
  });

  it.each([
    'localhost:8000',
    'ftp://localhost:8000',
    'file:///tmp/db',
    'not a url',
    'http://',
    '//localhost:8000',
  ])('refuses %j, naming DYNAMODB_ENDPOINT and the value', (endpoint) => {
    const error = configError(() => readConfig({ ...LAMBDA_ENV, DYNAMODB_ENDPOINT: endpoint }));

    expect(error.message).toMatch(/^DYNAMODB_ENDPOINT must be an http\(s\) URL/);
    expect(error.message).toContain(JSON.stringify(endpoint));
  });
});

/** Each whole-number variable: where it is read, its bounds and its default. */
const NUMBERS = [
  {
    name: 'DYNAMODB_TIMEOUT_MS',
    key: 'dynamodbTimeoutMs',
    min: 100,
    max: 60_000,
    byDefault: 3_000,
  },
  { name: 'DYNAMODB_MAX_ATTEMPTS', key: 'dynamodbMaxAttempts', min: 1, max: 10, byDefault: 3 },
  {
    name: 'MAX_BODY_BYTES',
    key: 'maxBodyBytes',
    min: 1,
    max: 10 * 1024 * 1024,
    byDefault: 409_600,
  },
  { name: 'PORT', key: 'port', min: 0, max: 65_535, byDefault: 3000 },
  // At least a minute: a shorter window could end while the first request with a key still
  // runs, and let its retry run beside it.
  {
    name: 'IDEMPOTENCY_TTL_SECONDS',
    key: 'idempotencyTtlSeconds',
    min: 60,
    max: 604_800,
    byDefault: 86_400,
  },
] as const;

describe.each(NUMBERS)('$name', ({ name, key, min, max, byDefault }) => {
  const read = (value?: string) => {
    const env = value === undefined ? {} : { [name]: value };
    const config = readLocalConfig(env);
    return key === 'idempotencyTtlSeconds' ? config.idempotency.ttlSeconds : config[key];
  };

  it(`defaults to ${byDefault}`, () => {
    expect(read()).toBe(byDefault);
  });

  it('treats an empty value as unset', () => {
    expect(read('')).toBe(byDefault);
  });

  it.each([min, max, Math.floor((min + max) / 2)])('accepts %i (in bounds)', (value) => {
    expect(read(String(value))).toBe(value);
  });

  it.each([
    String(min - 1),
    String(max + 1),
    '-5',
    'abc',
    '1.5',
    '1e3',
    '0x10',
    '12abc',
    '9007199254740993',
  ])(`refuses %j, naming ${name}, its bounds and the value`, (value) => {
    const error = configError(() => read(value));

    expect(error.message).toBe(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  });
});

describe('readLocalConfig (npm start)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('runs with no environment at all', () => {
    const config = readLocalConfig({});

    expect(config).toEqual({
      tableName: 'dynamo',
      region: 'us-east-1',
      dynamodbEndpoint: undefined,
      dynamodbTimeoutMs: 3_000,
      dynamodbMaxAttempts: 3,
      maxBodyBytes: 400 * 1024,
      host: '127.0.0.1',
      port: 3000,
      dataDir: '.data',
      eventsWebhookUrl: undefined,
      events: {
        busName: undefined,
        source: 'dynamo',
        deadLetterQueueUrl: undefined,
        maxAttempts: 3,
      },
      logLevel: 'INFO',
      idempotency: { tableName: 'dynamo-idempotency', ttlSeconds: 86_400 },
    });
  });

  it('reads HOST, PORT and DATA_DIR', () => {
    const config = readLocalConfig({ HOST: '0.0.0.0', PORT: '8080', DATA_DIR: ':memory:' });

    expect(config).toMatchObject({ host: '0.0.0.0', port: 8080, dataDir: ':memory:' });
  });

  it('checks the shared variables as the Lambda does', () => {
    const error = configError(() => readLocalConfig({ MAX_BODY_BYTES: '0' }));

    expect(error.message).toMatch(/^MAX_BODY_BYTES must/);
  });

  it.each([
    ['HOST', /^HOST must not be empty/],
    ['DATA_DIR', /^DATA_DIR must not be empty \(use :memory: for none\)/],
  ])('refuses an empty %s, naming it', (name, message) => {
    const error = configError(() => readLocalConfig({ [name]: '' }));

    expect(error.message).toMatch(message);
  });

  it('reads process.env when given nothing', () => {
    vi.stubEnv('PORT', '4321');
    vi.stubEnv('DATA_DIR', ':memory:');

    const config = readLocalConfig();

    expect(config.port).toBe(4321);
    expect(config.dataDir).toBe(':memory:');
  });
});

describe('events settings', () => {
  it('requires EVENT_BUS_NAME on Lambda, so no write goes unannounced', () => {
    const error = configError(() => readLambdaConfig(LAMBDA_ENV));

    expect(error.message).toMatch(/^EVENT_BUS_NAME must be set/);
  });

  it.each(['items-bus', 'arn:aws:events:eu-west-1:123456789012:event-bus/items-bus'])(
    'takes EVENT_BUS_NAME %j, a name or an ARN',
    (busName) => {
      const config = readLambdaConfig({
        ...LAMBDA_ENV,
        ...LAMBDA_SECRETS,
        EVENT_BUS_NAME: busName,
      });

      expect(config.events.busName).toBe(busName);
    },
  );

  it.each([
    ['EVENT_BUS_NAME', 'has space'],
    ['EVENT_SOURCE', 'aws.dynamo'],
    ['EVENT_SOURCE', 'white space'],
    ['DLQ_URL', 'sqs-queue-name'],
    ['EVENTS_MAX_ATTEMPTS', '0'],
    ['EVENTS_MAX_ATTEMPTS', '11'],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    const error = configError(() => readConfig({ ...LAMBDA_ENV, [name]: value }));

    expect(error.message.startsWith(`${name} must`)).toBe(true);
  });

  it('reads EVENTS_WEBHOOK_URL for the local sink', () => {
    const config = readLocalConfig({ EVENTS_WEBHOOK_URL: 'http://127.0.0.1:4000/events' });

    expect(config.eventsWebhookUrl).toBe('http://127.0.0.1:4000/events');
  });
});

describe('POWERTOOLS_LOG_LEVEL', () => {
  it.each([
    [undefined, 'INFO'],
    ['debug', 'DEBUG'],
    [' Warn ', 'WARN'],
    ['SILENT', 'SILENT'],
  ])('reads %j as %s', (raw, level) => {
    expect(readConfig({ ...LAMBDA_ENV, POWERTOOLS_LOG_LEVEL: raw }).logLevel).toBe(level);
  });

  it.each(['verbose', 'info,debug', '3'])('refuses %j, naming it and the levels', (raw) => {
    const error = configError(() => readConfig({ ...LAMBDA_ENV, POWERTOOLS_LOG_LEVEL: raw }));

    expect(error.message).toBe(
      `POWERTOOLS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got ${JSON.stringify(raw)}`,
    );
  });
});

describe('CURSOR_KEY', () => {
  it('is required on Lambda: every container signs and checks cursors with the same key', () => {
    const error = configError(() => readLambdaConfig({ ...LAMBDA_ENV, EVENT_BUS_NAME: 'bus' }));

    expect(error.message).toBe(
      'CURSOR_KEY must be set: every container signs and checks listing cursors with it',
    );
  });

  it('refuses a key under 32 characters, without printing it', () => {
    const error = configError(() => readConfig({ ...LAMBDA_ENV, CURSOR_KEY: 'secret-but-short' }));

    expect(error.message).toBe(
      'CURSOR_KEY must be at least 32 characters (such as `openssl rand -hex 32`), got 16',
    );
    expect(error.message).not.toContain('secret-but-short');
  });

  it('is optional for npm start, which keeps one beside its data', () => {
    expect(readLocalConfig({}).cursorKey).toBeUndefined();
    expect(readConfig({ ...LAMBDA_ENV, ...LAMBDA_SECRETS }).cursorKey).toBe('k'.repeat(64));
  });
});

describe('IDEMPOTENCY_TABLE_NAME', () => {
  it('is required on Lambda: writes sent with an Idempotency-Key are remembered there', () => {
    const error = configError(() =>
      readLambdaConfig({ ...LAMBDA_ENV, EVENT_BUS_NAME: 'bus', CURSOR_KEY: 'k'.repeat(64) }),
    );

    expect(error.message).toBe(
      'IDEMPOTENCY_TABLE_NAME must be set: writes sent with an Idempotency-Key are remembered there',
    );
  });

  it('is the items table name with -idempotency for npm start, unless given', () => {
    expect(readLocalConfig({ TABLE_NAME: 'shop' }).idempotency.tableName).toBe('shop-idempotency');
    expect(readLocalConfig({ IDEMPOTENCY_TABLE_NAME: 'replays' }).idempotency.tableName).toBe(
      'replays',
    );
  });

  it.each(['ab', 'has space', 'a'.repeat(256)])('refuses %j, naming it', (name) => {
    const error = configError(() => readConfig({ ...LAMBDA_ENV, IDEMPOTENCY_TABLE_NAME: name }));

    expect(error.message).toBe(
      `IDEMPOTENCY_TABLE_NAME must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -), got ${JSON.stringify(name)}`,
    );
  });

  it('refuses the items table itself: its records have another key', () => {
    const error = configError(() => readConfig({ ...LAMBDA_ENV, IDEMPOTENCY_TABLE_NAME: 'items' }));

    expect(error.message).toBe(
      'IDEMPOTENCY_TABLE_NAME must name another table than TABLE_NAME ("items"): its records have another key',
    );
  });
});
