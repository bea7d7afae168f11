import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, uniqueName } from '../clients.js';

describe('local DynamoDB (dynalite)', () => {
  let client: DynamoDBClient;
  let table: string;

  beforeAll(async () => {
    client = dynamoClient();
    table = uniqueName('metrics');
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
      }),
    );
  });

  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: table }));
    client.destroy();
  });

  it('returns items written with PutItem and BatchWriteItem from a Query in sort-key order', async () => {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'seller#1' }, sk: { S: 'a' }, n: { N: '1' } },
      }),
    );
    const batch = Array.from({ length: 25 }, (_, i) => ({
      PutRequest: {
        Item: { pk: { S: 'seller#1' }, sk: { S: `b${String(i).padStart(2, '0')}` }, n: { N: String(i) } },
      },
    }));
    const written = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));

    expect(written.UnprocessedItems?.[table] ?? []).toEqual([]);
    const result = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'seller#1' } },
      }),
    );
    expect(result.Count).toBe(26);
    expect(result.Items?.map((item) => item.sk?.S)).toEqual([
      'a',
      ...batch.map((b) => b.PutRequest.Item.sk.S),
    ]);
  });

  it('rejects a conditional put whose condition fails', async () => {
    const put = (n: string) =>
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'seller#2' }, sk: { S: 'row' }, n: { N: n } },
        ConditionExpression: 'attribute_not_exists(pk) OR n < :n',
        ExpressionAttributeValues: { ':n': { N: n } },
      });
    await client.send(put('5'));

    await expect(client.send(put('3'))).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it('answers UpdateTimeToLive with UnknownOperationException (dynalite has no TTL)', async () => {
    await expect(
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: table,
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'UnknownOperationException' });
  });
});
