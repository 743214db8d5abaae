# The POST rule: item-created events go to every API destination (webhook).
#
# Its pattern is server/src/events/post-rule-pattern.json, the file the local event sink filters
# with (postRulePatternFor in server/src/events/rule-pattern.ts), with `source` set to the configured
# event source exactly as postRulePatternFor does: one pattern, in one place.

locals {
  post_rule_pattern = merge(
    jsondecode(file("${path.module}/../server/src/events/post-rule-pattern.json")),
    { source = [var.event_source] },
  )
}

resource "aws_cloudwatch_event_rule" "post" {
  name           = "${var.name}-post"
  description    = "Item created (POST) events, for the API destinations"
  event_bus_name = aws_cloudwatch_event_bus.events.name
  event_pattern  = jsonencode(local.post_rule_pattern)
}

resource "aws_cloudwatch_event_target" "post_to_destination" {
  for_each = var.event_destinations

  rule           = aws_cloudwatch_event_rule.post.name
  event_bus_name = aws_cloudwatch_event_bus.events.name
  target_id      = each.key
  arn            = aws_cloudwatch_event_api_destination.destination[each.key].arn
  role_arn       = aws_iam_role.destinations[0].arn

  # A destination that is down or throttling is retried for up to a day; after that the event
  # goes to the dead-letter queue, not away.
  retry_policy {
    maximum_retry_attempts       = var.event_retry_attempts
    maximum_event_age_in_seconds = var.event_retry_max_age_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.destination_dead_letter.arn
  }

  # No input transformer: the webhook receives the event exactly as EventBridge has it (schema
  # WriteEvent in openapi.yaml), the same JSON `npm start` prints and POSTs to
  # EVENTS_WEBHOOK_URL, that the dead-letter queue keeps and the archive replays: one shape.
}
