# Alarms on what would otherwise fail quietly: both dead-letter queues (SQS drops messages after
# 14 days), the function's errors and throttles, the API's 5xx answers and DynamoDB throttling.
# Each notifies alarm_topic_arn (in alarm, and back to OK) when it is set.
#
# Metrics and dimensions as AWS documents them: AWS/SQS ApproximateNumberOfMessagesVisible
# (QueueName), AWS/Lambda Errors and Throttles (FunctionName), AWS/ApiGateway 5XXError (ApiName,
# Stage), AWS/DynamoDB ThrottledRequests (TableName, Operation).

locals {
  alarm_actions = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]

  # Any message in a dead-letter queue is an event that did not arrive: alarm on the first one.
  dead_letter_queues = {
    undelivered_events      = aws_sqs_queue.undelivered_events.name
    destination_dead_letter = aws_sqs_queue.destination_dead_letter.name
  }

  # The operations the function calls (DYNAMODB_ACTIONS in server/src/store/dynamodb.ts), and
  # those it calls on the idempotency table (IDEMPOTENCY_DYNAMODB_ACTIONS in
  # server/src/idempotency/store.ts).
  dynamodb_operations    = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Scan"]
  idempotency_operations = ["GetItem", "PutItem", "UpdateItem", "DeleteItem"]

  # One alarm per table and operation; the items table's keyed by operation alone, as before.
  dynamodb_throttle_alarms = merge(
    { for op in local.dynamodb_operations : op => { table = aws_dynamodb_table.items.name, operation = op } },
    { for op in local.idempotency_operations : "idempotency-${op}" => { table = aws_dynamodb_table.idempotency.name, operation = op } },
  )
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = local.dead_letter_queues

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = "Events are waiting in ${each.value}: read them, fix the cause and put them again within 14 days."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  alarm_name          = "${var.name}-function-errors"
  alarm_description   = "The function failed (a bug, a timeout or a crash): its log has the request id."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.api.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  alarm_name          = "${var.name}-function-throttles"
  alarm_description   = "Invocations were throttled (concurrency limit): callers got 5xx."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = aws_lambda_function.api.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name}-api-5xx"
  alarm_description   = "The API answered 5xx (503 while DynamoDB is unavailable, 500 for a bug, 504 on timeouts)."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5XXError"
  dimensions          = { ApiName = aws_api_gateway_rest_api.api.name, Stage = aws_api_gateway_stage.api.stage_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  for_each = local.dynamodb_throttle_alarms

  alarm_name          = "${var.name}-dynamodb-throttles-${each.key}"
  alarm_description   = "DynamoDB throttled ${each.value.operation} on ${each.value.table}: callers may have got 503."
  namespace           = "AWS/DynamoDB"
  metric_name         = "ThrottledRequests"
  dimensions          = { TableName = each.value.table, Operation = each.value.operation }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

