/**
 * The environment, read and checked once at start. A bad value fails fast, naming the variable.
 * Every name read here is listed in `CONFIG_ENV_NAMES`, which the README's table and the
 * Terraform Lambda environment are checked against.
 */

export interface Config {
  /** DynamoDB table holding the items. */
  readonly tableName: string;
  /** AWS region of the table. */
  readonly region: string;
  /** Another DynamoDB endpoint (DynamoDB Local, dynalite); unset on AWS. */
  readonly dynamodbEndpoint: string | undefined;
  /** Per-attempt time limit of a DynamoDB call, in milliseconds. */
  readonly dynamodbTimeoutMs: number;
  /** Attempts per DynamoDB call, the first included (the SDK backs off between them). */
  readonly dynamodbMaxAttempts: number;
  /** Largest request body accepted, in bytes; larger ones get 413. */
  readonly maxBodyBytes: number;
  /** Origins browsers may call the API from (CORS); `undefined`: CORS is off. */
  readonly corsAllowOrigins: readonly string[] | undefined;
  /**
   * Request headers pages on those origins may send besides the ones the contract and the SDK
   * send (an app's own, such as `x-tenant`); `undefined`: none.
   */
  readonly corsAllowHeaders: readonly string[] | undefined;
  readonly events: EventsConfig;
  /** Powertools' log level (`POWERTOOLS_LOG_LEVEL`, which the logger reads itself), upper case. */
  readonly logLevel: string;
  /** Signs listing cursors; required on Lambda, made up per data folder by `npm start`. */
  readonly cursorKey: string | undefined;
  readonly idempotency: IdempotencySettings;
}

export interface IdempotencySettings {
  /**
   * The DynamoDB table remembering the answers of writes sent with an `Idempotency-Key`;
   * required on Lambda, `<TABLE_NAME>-idempotency` locally.
   */
  readonly tableName: string | undefined;
  /** How long a write's answer is remembered for a replay, in seconds. */
  readonly ttlSeconds: number;
}

export interface EventsConfig {
  /** The EventBridge bus writes are announced on; required on Lambda, unused locally. */
  readonly busName: string | undefined;
  /** `Source` of every event; the rule pattern matches on it. */
  readonly source: string;
  /** SQS queue for events that could not be put on the bus. */
  readonly deadLetterQueueUrl: string | undefined;
  /** PutEvents attempts per event, the first included, before the dead-letter queue. */
  readonly maxAttempts: number;
}

export interface LambdaConfig extends Config {
  readonly events: EventsConfig & { readonly busName: string };
  readonly cursorKey: string;
  readonly idempotency: IdempotencySettings & { readonly tableName: string };
}

export interface LocalConfig extends Config {
  readonly idempotency: IdempotencySettings & { readonly tableName: string };
  readonly host: string;
  readonly port: number;
  /** Where the embedded engine keeps its data, or `:memory:` for a throwaway run. */
  readonly dataDir: string;
  /** Local sink: POST events matching the deployed rule pattern here. */
  readonly eventsWebhookUrl: string | undefined;
}

export const CONFIG_ENV_NAMES = [
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
] as const;

export const LOCAL_CONFIG_ENV_NAMES = [
  ...CONFIG_ENV_NAMES,
  'HOST',
  'PORT',
  'DATA_DIR',
  'EVENTS_WEBHOOK_URL',
] as const;

type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function readConfig(env: Env = process.env, defaults: Partial<Config> = {}): Config {
  const tableName = env.TABLE_NAME ?? defaults.tableName;
  if (tableName === undefined || !TABLE_NAME.test(tableName))
    throw badTableName('TABLE_NAME', tableName);
  const region = env.AWS_REGION ?? defaults.region;
  if (region === undefined || region === '') {
    throw new ConfigError('AWS_REGION must be set (Lambda sets it; locally it defaults)');
  }
  const idempotencyTable = optionalTableName(env, 'IDEMPOTENCY_TABLE_NAME');
  if (idempotencyTable === tableName) {
    throw new ConfigError(
      `IDEMPOTENCY_TABLE_NAME must name another table than TABLE_NAME (${show(tableName)}): its records have another key`,
    );
  }
  return {
    tableName,
    region,
    dynamodbEndpoint: url(env, 'DYNAMODB_ENDPOINT') ?? defaults.dynamodbEndpoint,
    dynamodbTimeoutMs: int(env, 'DYNAMODB_TIMEOUT_MS', 100, 60_000, 3_000),
    dynamodbMaxAttempts: int(env, 'DYNAMODB_MAX_ATTEMPTS', 1, 10, 3),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 1, 10 * 1024 * 1024, 400 * 1024),
    corsAllowOrigins: origins(env, 'CORS_ALLOW_ORIGINS'),
    corsAllowHeaders: headerNames(env, 'CORS_ALLOW_HEADERS'),
    events: readEventsConfig(env),
    logLevel: logLevel(env, 'POWERTOOLS_LOG_LEVEL'),
    cursorKey: secret(env, 'CURSOR_KEY'),
    idempotency: {
      tableName: idempotencyTable,
      ttlSeconds: int(env, 'IDEMPOTENCY_TTL_SECONDS', 60, 604_800, 86_400),
    },
  };
}

/** The Lambda's configuration: as `readConfig`, and the bus is required (no silent loss). */
export function readLambdaConfig(env: Env = process.env): LambdaConfig {
  const config = readConfig(env);
  const { busName } = config.events;
  if (busName === undefined) {
    throw new ConfigError('EVENT_BUS_NAME must be set: every write is announced on that bus');
  }
  const { cursorKey } = config;
  if (cursorKey === undefined) {
    throw new ConfigError(
      'CURSOR_KEY must be set: every container signs and checks listing cursors with it',
    );
  }
  const idempotencyTable = config.idempotency.tableName;
  if (idempotencyTable === undefined) {
    throw new ConfigError(
      'IDEMPOTENCY_TABLE_NAME must be set: writes sent with an Idempotency-Key are remembered there',
    );
  }
  return {
    ...config,
    cursorKey,
    events: { ...config.events, busName },
    idempotency: { ...config.idempotency, tableName: idempotencyTable },
  };
}

function readEventsConfig(env: Env): EventsConfig {
  const busName = env.EVENT_BUS_NAME === '' ? undefined : env.EVENT_BUS_NAME;
  // A name or an ARN, as PutEvents takes either.
  if (
    busName !== undefined &&
    !/^(arn:aws[\w-]*:events:[\w-]+:\d{12}:event-bus\/)?[\w.\-/]{1,256}$/.test(busName)
  ) {
    throw new ConfigError(`EVENT_BUS_NAME must be an event bus name or ARN, got ${show(busName)}`);
  }
  const source =
    env.EVENT_SOURCE === undefined || env.EVENT_SOURCE === '' ? 'dynamo' : env.EVENT_SOURCE;
  if (!/^[\w.-]{1,256}$/.test(source) || source.startsWith('aws.')) {
    throw new ConfigError(
      `EVENT_SOURCE must be 1-256 of a-z A-Z 0-9 _ . - and not start with "aws.", got ${show(source)}`,
    );
  }
  return {
    busName,
    source,
    deadLetterQueueUrl: url(env, 'DLQ_URL'),
    maxAttempts: int(env, 'EVENTS_MAX_ATTEMPTS', 1, 10, 3),
  };
}

export function readLocalConfig(env: Env = process.env): LocalConfig {
  const base = readConfig(env, { tableName: 'dynamo', region: 'us-east-1' });
  const host = env.HOST ?? '127.0.0.1';
  if (host === '') throw new ConfigError('HOST must not be empty');
  const dataDir = env.DATA_DIR ?? '.data';
  if (dataDir === '') throw new ConfigError('DATA_DIR must not be empty (use :memory: for none)');
  return {
    ...base,
    idempotency: {
      ...base.idempotency,
      tableName: base.idempotency.tableName ?? `${base.tableName}-idempotency`,
    },
    host,
    port: int(env, 'PORT', 0, 65_535, 3000),
    dataDir,
    eventsWebhookUrl: url(env, 'EVENTS_WEBHOOK_URL'),
  };
}

/** DynamoDB's table names: 3 to 255 of `a-z A-Z 0-9 _ . -`. */
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

function badTableName(name: string, value: string | undefined): ConfigError {
  return new ConfigError(
    `${name} must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -), got ${show(value)}`,
  );
}

function optionalTableName(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!TABLE_NAME.test(raw)) throw badTableName(name, raw);
  return raw;
}

function int(env: Env, name: string, min: number, max: number, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${show(raw)}`);
  }
  return n;
}

/** The levels Powertools' logger knows (`LogLevel`); it would take any other word silently. */
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

function logLevel(env: Env, name: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return 'INFO';
  const level = raw.trim().toUpperCase();
  if (!LOG_LEVELS.includes(level)) {
    throw new ConfigError(`${name} must be one of ${LOG_LEVELS.join(', ')}, got ${show(raw)}`);
  }
  return level;
}

/** A signing key: at least 32 characters (256 bits as hex), so cursors cannot be forged. */
function secret(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw.length < 32) {
    throw new ConfigError(
      `${name} must be at least 32 characters (such as \`openssl rand -hex 32\`), got ${raw.length}`,
    );
  }
  return raw;
}

function url(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new ConfigError(`${name} must be an http(s) URL, got ${show(raw)}`);
  }
  return raw;
}

/**
 * A comma-separated allow-list of origins, each exactly as a browser sends it in `Origin`
 * (`https://app.example`, `http://localhost:5173`): no path, no wildcard. Empty means none.
 */
function origins(env: Env, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw.split(',').map((o) => o.trim());
  for (const origin of list) {
    const parsed = URL.canParse(origin) ? new URL(origin) : undefined;
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `${name} must be a comma-separated list of origins such as https://app.example (scheme, host and port only; no * or path), got ${show(origin)}`,
      );
    }
  }
  return list;
}

/**
 * A comma-separated list of header names, each a token (RFC 9110 §5.1), as in
 * `Access-Control-Allow-Headers`. No `*`: it would let pages send any header. Empty means none.
 */
function headerNames(env: Env, name: string): string[] | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw.split(',').map((h) => h.trim());
  for (const header of list) {
    if (!/^[!#$%&'*+.^`|~\w-]+$/.test(header) || header === '*') {
      throw new ConfigError(
        `${name} must be a comma-separated list of header names such as x-tenant (letters, digits and !#$%&'*+.^_\`|~-; no *), got ${show(header)}`,
      );
    }
  }
  return list;
}

function show(value: string | undefined): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}
