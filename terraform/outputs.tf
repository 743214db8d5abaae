output "api_url" {
  description = "Base URL of the API (the stage); the items are at api_url/dynamo."
  value       = aws_api_gateway_stage.api.invoke_url
}

output "api_id" {
  description = "ID of the REST API (for execute-api ARNs in callers' IAM policies)."
  value       = aws_api_gateway_rest_api.api.id
}

output "api_execution_arn" {
  description = "Execution ARN of the stage; grant callers execute-api:Invoke on <this>/<METHOD>/dynamo."
  value       = "${aws_api_gateway_rest_api.api.execution_arn}/${aws_api_gateway_stage.api.stage_name}"
}

output "table_name" {
  description = "The DynamoDB table holding the items."
  value       = aws_dynamodb_table.items.name
}

output "table_arn" {
  description = "ARN of the DynamoDB table."
  value       = aws_dynamodb_table.items.arn
}

output "idempotency_table_name" {
  description = "The DynamoDB table keeping the answers of writes sent with an Idempotency-Key."
  value       = aws_dynamodb_table.idempotency.name
}

output "event_bus_name" {
  description = "The EventBridge bus every committed write is announced on."
  value       = aws_cloudwatch_event_bus.events.name
}

output "event_bus_arn" {
  description = "ARN of the EventBridge bus."
  value       = aws_cloudwatch_event_bus.events.arn
}

output "lambda_function_name" {
  description = "The function serving the API."
  value       = aws_lambda_function.api.function_name
}

output "lambda_log_group" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "api_access_log_group" {
  description = "The API's access log group (one JSON line per request)."
  value       = aws_cloudwatch_log_group.api_access.name
}

output "undelivered_events_queue_url" {
  description = "SQS queue of events the function could not put on the bus."
  value       = aws_sqs_queue.undelivered_events.url
}

output "destination_dead_letter_queue_url" {
  description = "SQS queue of events EventBridge could not deliver to an API destination."
  value       = aws_sqs_queue.destination_dead_letter.url
}

output "alarm_names" {
  description = "The CloudWatch alarms on the dead-letter queues, the function, the API and the table."
  value = concat(
    [for alarm in aws_cloudwatch_metric_alarm.dead_letters : alarm.alarm_name],
    [aws_cloudwatch_metric_alarm.lambda_errors.alarm_name, aws_cloudwatch_metric_alarm.lambda_throttles.alarm_name, aws_cloudwatch_metric_alarm.api_5xx.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.dynamodb_throttles : alarm.alarm_name],
  )
}
