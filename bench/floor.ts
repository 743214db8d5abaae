/**
 * The cold-start floor: the least a Lambda with this job can be. The same SDK clients as the
 * real function, created the same way at module scope (the DynamoDB document client and the
 * EventBridge client), and a handler that does the same `GetItem` straight away: no routing, no
 * validation, no logger, no problem documents. The bench bundles it with the real function's
 * esbuild options and compares the two.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
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
// Created like the real function's, though a GET never uses it.
export const eventBridge = new EventBridgeClient({ region, maxAttempts: 1, requestHandler });

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const { Item } = await db.send(
    new GetCommand({
      TableName: process.env.TABLE_NAME,
      Key: { user_id: event.queryStringParameters?.user_id },
      ConsistentRead: true,
    }),
  );
  return Item === undefined
    ? { statusCode: 404, body: '' }
    : {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(Item),
      };
}
