/**
 * The floor: the least a Lambda with this job can be. The same SDK clients as the real
 * function, created the same way at module scope (the DynamoDB document client and the
 * EventBridge client), and a handler that makes the same calls straight away: a `GetItem` for
 * a GET; for a POST, the conditional `PutItem` and one `PutEvents`. No routing, no validation,
 * no logger, no problem documents. The bench bundles it with the real function's esbuild
 * options and compares the function and its peers with it.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const requestHandler = {
  connectionTimeout: 1_000,
  requestTimeout: 3_000,
  throwOnRequestTimeout: true,
  socketTimeout: 3_000,
};
const region = process.env.AWS_REGION ?? 'us-east-1';
const endpoint = process.env.DYNAMODB_ENDPOINT;
const db = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region, maxAttempts: 3, requestHandler, ...(endpoint ? { endpoint } : {}) }),
  { marshallOptions: { removeUndefinedValues: true } },
);
export const eventBridge = new EventBridgeClient({ region, maxAttempts: 1, requestHandler });
const json = { 'content-type': 'application/json' };

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const TableName = process.env.TABLE_NAME;
  if (event.httpMethod === 'POST') {
    const item = JSON.parse(event.body ?? '{}') as { user_id: string };
    await db.send(
      new PutCommand({
        TableName,
        Item: { ...item, '@version': 1 },
        ConditionExpression: 'attribute_not_exists(user_id)',
      }),
    );
    await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: process.env.EVENT_BUS_NAME,
            Source: 'dynamo',
            DetailType: 'dynamo_POST',
            Detail: JSON.stringify({ operation: 'POST', user_id: item.user_id, item }),
          },
        ],
      }),
    );
    return { statusCode: 201, headers: json, body: JSON.stringify(item) };
  }
  const { Item } = await db.send(
    new GetCommand({
      TableName,
      Key: { user_id: event.queryStringParameters?.user_id },
      ConsistentRead: true,
    }),
  );
  return Item === undefined
    ? { statusCode: 404, body: '' }
    : { statusCode: 200, headers: json, body: JSON.stringify(Item) };
}
