import { MetricsReader } from '@marketplace/dynamodb-sink';
import type { Command } from './args.js';
import { createDynamoClient } from './clients.js';
import type { ServiceConfig } from './config.js';
import { toJson } from './report.js';

/**
 * `metrics seller|category|low-stock <id>`: prints the entity's current metrics from DynamoDB as
 * JSON (money as decimal strings) on stdout. Returns the exit code: 0 found, 1 not found.
 */
export async function runMetricsCommand(
  config: ServiceConfig,
  command: Extract<Command, { kind: 'metrics' }>,
  out: { write(text: string): unknown },
  err: { write(text: string): unknown },
): Promise<number> {
  const client = createDynamoClient(config);
  let value: unknown;
  try {
    const reader = new MetricsReader({
      client,
      tableName: config.metricsTable,
      retry: { retries: config.retries },
    });
    value =
      command.entity === 'seller'
        ? await reader.getSellerMetrics(command.id)
        : command.entity === 'category'
          ? await reader.getCategoryMetrics(command.id)
          : await reader.listLowStock(command.id);
  } finally {
    client.destroy();
  }
  if (value === undefined) {
    err.write(`analytics-service: no metrics for ${command.entity} ${JSON.stringify(command.id)}\n`);
    return 1;
  }
  out.write(
    `${toJson({ [command.entity === 'low-stock' ? 'sellerId' : command.entity]: command.id, metrics: value })}\n`,
  );
  return 0;
}
