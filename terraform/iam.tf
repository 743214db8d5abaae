# The function's role. Each policy grants exactly the actions the code calls, on the one resource
# it calls them on:
# - DYNAMODB_ACTIONS (server/src/store/dynamodb.ts) on the table;
# - IDEMPOTENCY_DYNAMODB_ACTIONS (server/src/idempotency/store.ts) on the idempotency table;
# - EVENTBRIDGE_ACTIONS (server/src/events/eventbridge.ts) on the bus: eventbridge.tf,
#   PutLambdaEventBridge;
# - SQS_ACTIONS (same file) on the undelivered-events queue;
# - writing its own log streams;
# - with tracing on, X-Ray's two write actions, on "*" (X-Ray has no resource ARNs).
# No managed policies (AWSLambdaBasicExecutionRole allows any log group, Resource "*").

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  # IAM is global: the region in the name lets the same var.name be deployed in two regions.
  name               = "${var.name}-${var.aws_region}-fn"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "lambda_items_table" {
  statement {
    sid = "ReadAndWriteItems"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:Scan",
    ]
    resources = [aws_dynamodb_table.items.arn]
  }
}

resource "aws_iam_role_policy" "lambda_items_table" {
  name   = "ItemsTable"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda_items_table.json
}

data "aws_iam_policy_document" "lambda_idempotency_table" {
  statement {
    sid = "KeepIdempotencyRecords"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
    ]
    resources = [aws_dynamodb_table.idempotency.arn]
  }
}

resource "aws_iam_role_policy" "lambda_idempotency_table" {
  name   = "IdempotencyTable"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda_idempotency_table.json
}

data "aws_iam_policy_document" "lambda_undelivered_events" {
  statement {
    sid       = "SendUndeliveredEvents"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.undelivered_events.arn]
  }
}

resource "aws_iam_role_policy" "lambda_undelivered_events" {
  name   = "UndeliveredEventsQueue"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda_undelivered_events.json
}

data "aws_iam_policy_document" "lambda_logs" {
  statement {
    sid     = "WriteOwnLogs"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    # Streams are named by Lambda as it goes; the group is this function's only.
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:log-stream:*"]
  }
}

resource "aws_iam_role_policy" "lambda_logs" {
  name   = "WriteLogs"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda_logs.json
}

# Active tracing: the function sends its segments (and those Powertools' tracer records around
# DynamoDB, EventBridge and SQS) to X-Ray. These two actions are what Lambda documents for it
# (services-xray.html, "Execution role permissions"); X-Ray has no resource-level permissions,
# so the resource is "*".
data "aws_iam_policy_document" "lambda_tracing" {
  count = var.tracing ? 1 : 0

  statement {
    sid       = "WriteTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "lambda_tracing" {
  count = var.tracing ? 1 : 0

  name   = "WriteTraces"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda_tracing[0].json
}
