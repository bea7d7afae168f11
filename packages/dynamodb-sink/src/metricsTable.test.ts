import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SILENT_LOGGER } from '@marketplace/options';
import { describe, expect, it, vi } from 'vitest';
import { DynamoRequestError } from './errors.js';
import { ensureMetricsTable } from './metricsTable.js';

/**
 * A scripted stand-in for the SDK client: each operation answers from a queue of outcomes. The
 * real server path (dynalite) is covered by the integration tests; these cover the answers
 * dynalite never gives (TTL already on, a concurrent create, a table stuck in CREATING).
 */
function scriptedClient(script: Record<string, Array<object | Error>>): {
  client: DynamoDBClient;
  calls: string[];
} {
  const calls: string[] = [];
  const client = {
    send: vi.fn(async (command: object) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push(name);
      const queue = script[name];
      const next = queue && queue.length > 1 ? queue.shift() : queue?.[0];
      if (next === undefined) throw new Error(`unexpected ${name}`);
      if (next instanceof Error) throw next;
      return next;
    }),
  } as unknown as DynamoDBClient;
  return { client, calls };
}

const named = (name: string, message = name): Error => Object.assign(new Error(message), { name });

describe('ensureMetricsTable', () => {
  it('waits for a table created concurrently by someone else', async () => {
    const { client, calls } = scriptedClient({
      DescribeTable: [
        named('ResourceNotFoundException'),
        { Table: { TableStatus: 'CREATING' } },
        { Table: { TableStatus: 'ACTIVE' } },
      ],
      CreateTable: [named('ResourceInUseException')],
      DescribeTimeToLive: [{ TimeToLiveDescription: { AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' } }],
    });

    const result = await ensureMetricsTable(client, { tableName: 't-1', pollIntervalMs: 1 });

    expect(result).toEqual({ created: false, ttl: 'enabled' });
    expect(calls).toEqual([
      'DescribeTable',
      'CreateTable',
      'DescribeTable',
      'DescribeTable',
      'DescribeTimeToLive',
    ]);
  });

  it('enables TTL when it is off and treats "already enabled" as enabled', async () => {
    const { client, calls } = scriptedClient({
      DescribeTable: [{ Table: { TableStatus: 'ACTIVE' } }],
      DescribeTimeToLive: [{ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } }],
      UpdateTimeToLive: [{}, named('ValidationException', 'TimeToLive is already enabled')],
    });

    await expect(ensureMetricsTable(client, { tableName: 't-1' })).resolves.toEqual({
      created: false,
      ttl: 'enabled',
    });
    await expect(ensureMetricsTable(client, { tableName: 't-1' })).resolves.toEqual({
      created: false,
      ttl: 'enabled',
    });
    expect(calls.filter((c) => c === 'UpdateTimeToLive')).toHaveLength(2);
  });

  it('reports TTL unsupported with one warning when the endpoint lacks the TTL API', async () => {
    const warn = vi.fn();
    const { client } = scriptedClient({
      DescribeTable: [{ Table: { TableStatus: 'ACTIVE' } }],
      DescribeTimeToLive: [Object.assign(named('SomethingElse'), { $metadata: { httpStatusCode: 501 } })],
    });

    const result = await ensureMetricsTable(client, { tableName: 't-1', logger: { ...SILENT_LOGGER, warn } });

    expect(result.ttl).toBe('unsupported');
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('fails with TABLE_SETUP_FAILED when a setup call is refused', async () => {
    const denied = named('AccessDeniedException');
    const cases: Array<Record<string, Array<object | Error>>> = [
      { DescribeTable: [denied] },
      { DescribeTable: [named('ResourceNotFoundException')], CreateTable: [denied] },
      { DescribeTable: [{ Table: { TableStatus: 'ACTIVE' } }], DescribeTimeToLive: [denied] },
      {
        DescribeTable: [{ Table: { TableStatus: 'ACTIVE' } }],
        DescribeTimeToLive: [{}],
        UpdateTimeToLive: [named('ValidationException', 'TTL is being changed')],
      },
      { DescribeTable: [{ Table: { TableStatus: 'CREATING' } }, denied] },
    ];

    for (const script of cases) {
      const error = await ensureMetricsTable(scriptedClient(script).client, {
        tableName: 't-1',
        pollIntervalMs: 1,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DynamoRequestError);
      expect(error).toMatchObject({ code: 'TABLE_SETUP_FAILED', tableName: 't-1', retryable: false });
    }
  });

  it('gives up when the table does not become ACTIVE in time', async () => {
    const { client } = scriptedClient({ DescribeTable: [{ Table: {} }] });

    await expect(
      ensureMetricsTable(client, { tableName: 't-1', waitTimeoutMs: 5, pollIntervalMs: 1 }),
    ).rejects.toThrow(/not ACTIVE/);
  });
});
