import { describe, expect, it } from 'vitest';
import {
  endpointsFromEnv,
  formatEnvExports,
  type LocalStackEndpoints,
  parseEnvFile,
  toEndpoints,
  toEnvVars,
} from './stackEnv.js';

const endpoints: LocalStackEndpoints = {
  kafkaBrokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
  dynamodbEndpoint: 'http://127.0.0.1:4567',
  s3Endpoint: 'http://127.0.0.1:4568',
  region: 'eu-west-1',
  credentials: { accessKeyId: 'id', secretAccessKey: "it's secret" },
};
const defaults = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };

describe('stack environment', () => {
  it('round-trips endpoints through `env` export lines and the env-file parser', () => {
    const text = formatEnvExports(toEnvVars(endpoints));

    expect(text).toContain('export KAFKA_BROKERS=127.0.0.1:9092,127.0.0.1:9093\n');
    expect(text).toContain(`export AWS_SECRET_ACCESS_KEY='it'\\''s secret'`);
    expect(endpointsFromEnv(parseEnvFile(text), defaults)).toEqual(endpoints);
  });

  it('parses plain, double-quoted and commented lines', () => {
    const vars = parseEnvFile('# comment\n\nKAFKA_BROKERS="127.0.0.1:1"\r\nexport S3_ENDPOINT=http://x\n');

    expect(vars).toEqual({ KAFKA_BROKERS: '127.0.0.1:1', S3_ENDPOINT: 'http://x' });
  });

  it('rejects a line that is not NAME=value', () => {
    expect(() => parseEnvFile('not an assignment')).toThrow(
      expect.objectContaining({ code: 'STATE_FILE_INVALID' }),
    );
  });

  it('finds no stack when none of the endpoint variables is set', () => {
    expect(endpointsFromEnv({ AWS_REGION: 'x' }, defaults)).toBeUndefined();
  });

  it('fills region and credentials from the defaults', () => {
    const found = endpointsFromEnv(
      { KAFKA_BROKERS: ' 127.0.0.1:1 , ', DYNAMODB_ENDPOINT: 'http://d', S3_ENDPOINT: 'http://s' },
      defaults,
    );

    expect(found).toEqual({
      kafkaBrokers: ['127.0.0.1:1'],
      dynamodbEndpoint: 'http://d',
      s3Endpoint: 'http://s',
      ...defaults,
    });
  });

  it('refuses a partly described stack instead of guessing', () => {
    expect(() => endpointsFromEnv({ KAFKA_BROKERS: '127.0.0.1:1' }, defaults)).toThrow(/DYNAMODB_ENDPOINT/);
  });

  it('flattens a running stack and refuses one without all three servers', () => {
    const stack = {
      kafka: { brokers: endpoints.kafkaBrokers },
      dynamodb: { endpoint: endpoints.dynamodbEndpoint },
      s3: { endpoint: endpoints.s3Endpoint },
      region: endpoints.region,
      credentials: endpoints.credentials,
    };

    expect(toEndpoints(stack)).toEqual(endpoints);
    expect(() => toEndpoints({ ...stack, s3: undefined })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    );
  });
});
