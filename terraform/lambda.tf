# The function: server/src/lambda.ts, bundled by `npm run build:lambda` (scripts/build-lambda.ts)
# into dist/lambda/lambda.zip. Build before plan: the zip's hash is read at plan time.
#
# A fresh clone has no zip, and `terraform destroy` needs none: its pre-destroy refresh is a
# full plan that evaluates this configuration (hashicorp/terraform#32208), so the hash is only
# read when the zip exists; custom conditions only warn during destroy (hashicorp/terraform#34101),
# so the precondition below stops an apply without a zip and never a destroy.

locals {
  lambda_zip = "${path.module}/../dist/lambda/lambda.zip"
}

# Created here, not by Lambda on first use, so that it has a retention period and the function
# needs no permission to create log groups.
resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "api" {
  function_name    = var.name
  description      = "dynamo-crud API: openapi.yaml's operations on the ${var.name} table"
  role             = aws_iam_role.lambda.arn
  runtime          = "nodejs22.x"
  architectures    = [var.lambda_architecture]
  handler          = "index.handler"
  filename         = local.lambda_zip
  source_code_hash = fileexists(local.lambda_zip) ? filebase64sha256(local.lambda_zip) : null
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds
  # null reserves nothing: the function shares the account's unreserved concurrency.
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  # Active: Lambda records each invocation; the function adds DynamoDB, EventBridge and SQS
  # subsegments (POWERTOOLS_TRACE_ENABLED). PassThrough only forwards the trace header.
  tracing_config {
    mode = var.tracing ? "Active" : "PassThrough"
  }

  # Named exactly as server/src/config.ts reads them (CONFIG_ENV_NAMES) plus Powertools' own.
  # AWS_REGION is set by Lambda.
  environment {
    variables = {
      TABLE_NAME              = aws_dynamodb_table.items.name
      EVENT_BUS_NAME          = aws_cloudwatch_event_bus.events.name
      EVENT_SOURCE            = var.event_source
      DLQ_URL                 = aws_sqs_queue.undelivered_events.url
      POWERTOOLS_SERVICE_NAME = var.name
      POWERTOOLS_LOG_LEVEL    = var.log_level
      CURSOR_KEY              = random_password.cursor_key.result
      IDEMPOTENCY_TABLE_NAME  = aws_dynamodb_table.idempotency.name
      IDEMPOTENCY_TTL_SECONDS = tostring(var.idempotency_ttl_seconds)
      # Read by server/src/lambda.ts: the tracer is loaded only when this is "true".
      POWERTOOLS_TRACE_ENABLED = var.tracing ? "true" : "false"
    }
  }

  logging_config {
    # Powertools writes JSON lines itself.
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  lifecycle {
    precondition {
      condition     = fileexists(local.lambda_zip)
      error_message = "dist/lambda/lambda.zip is missing: run `npm run build:lambda` at the repository root first."
    }
  }

  depends_on = [aws_iam_role_policy.lambda_logs, aws_iam_role_policy.lambda_tracing]
}

# API Gateway may invoke the function for the paths of openapi.yaml only (any method: each path
# has the ANY catch-all, so that the function answers 405 itself), on this API's stage only
# (source ARN: execution ARN / stage / METHOD / path).
resource "aws_lambda_permission" "api" {
  for_each = local.api_paths

  statement_id  = "ApiGateway${replace(each.key, "/[^a-zA-Z0-9]+/", "-")}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/${aws_api_gateway_stage.api.stage_name}/*${each.value.arn_path}"
}

# The key listing cursors are signed with (CURSOR_KEY): one for every container of the function,
# so a cursor one container gave out is taken by the next. It sits in the Terraform state (keep
# that remote and private, as for the webhooks' API keys) and in the function's configuration.
# `terraform apply -replace=random_password.cursor_key` rotates it; cursors in flight then fail
# with a 400 and listings start again from the first page.
resource "random_password" "cursor_key" {
  length  = 64
  special = false
}
