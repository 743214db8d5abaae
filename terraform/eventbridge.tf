# The bus the function announces every committed write on, the webhooks (API destinations)
# that receive POST events, and the permission to put events on the bus.

resource "aws_cloudwatch_event_bus" "events" {
  name = var.name
}

# Every event on the bus, kept for replay (for example after a destination was down longer than
# its retry policy and the dead-letter queue was drained).
resource "aws_cloudwatch_event_archive" "events" {
  name             = "${var.name}-events"
  event_source_arn = aws_cloudwatch_event_bus.events.arn
  retention_days   = var.event_archive_retention_days
}

# One connection (how to authenticate) and one API destination (where to send) per webhook.
resource "aws_cloudwatch_event_connection" "destination" {
  for_each = var.event_destinations

  name               = "${var.name}-${each.key}"
  description        = "API key for the ${each.key} webhook"
  authorization_type = "API_KEY"

  auth_parameters {
    api_key {
      key   = each.value.api_key_header
      value = var.event_destination_api_keys[each.key]
    }
  }
}

resource "aws_cloudwatch_event_api_destination" "destination" {
  for_each = var.event_destinations

  name                             = "${var.name}-${each.key}"
  description                      = "The ${each.key} webhook: receives item-created events"
  connection_arn                   = aws_cloudwatch_event_connection.destination[each.key].arn
  invocation_endpoint              = each.value.endpoint
  http_method                      = each.value.http_method
  invocation_rate_limit_per_second = local.destination_rates[each.key]
}

locals {
  # Unless set, a webhook may be called as fast as the API takes writes (its steady throttle,
  # up to EventBridge's 300 per second), so that it keeps up with a stage busy with POSTs.
  destination_rates = {
    for key, destination in var.event_destinations :
    key => coalesce(destination.invocation_rate_limit_per_second, min(300, var.api_throttling_rate_limit))
  }
}

# A webhook slower than the API's throttle can fall behind when POSTs come faster than it is
# called: EventBridge holds what is over the rate and retries it until event_retry_max_age_seconds,
# then sends it to the dead-letter queue (invocationRateLimitPerSecond, EventBridge API reference).
check "webhooks_keep_up_with_the_api" {
  assert {
    condition = alltrue([
      for rate in values(local.destination_rates) : rate >= min(300, var.api_throttling_rate_limit)
    ])
    error_message = "An event destination's invocation_rate_limit_per_second is below api_throttling_rate_limit: at full load its events back up, and those older than event_retry_max_age_seconds go to the destination dead-letter queue."
  }
}

# PutLambdaEventBridge: the function may put events on this bus and no other.
data "aws_iam_policy_document" "put_lambda_eventbridge" {
  statement {
    sid       = "PutEventsOnTheBus"
    actions   = ["events:PutEvents"]
    resources = [aws_cloudwatch_event_bus.events.arn]
  }
}

resource "aws_iam_role_policy" "put_lambda_eventbridge" {
  name   = "PutLambdaEventBridge"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.put_lambda_eventbridge.json
}

# The role EventBridge takes to call the API destinations, for the POST rule only.
data "aws_iam_policy_document" "destinations_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.post.arn]
    }
  }
}

resource "aws_iam_role" "destinations" {
  count = length(var.event_destinations) > 0 ? 1 : 0

  name               = "${var.name}-${var.aws_region}-hooks"
  assume_role_policy = data.aws_iam_policy_document.destinations_assume.json
}

data "aws_iam_policy_document" "invoke_destinations" {
  count = length(var.event_destinations) > 0 ? 1 : 0

  statement {
    sid       = "InvokeTheWebhooks"
    actions   = ["events:InvokeApiDestination"]
    resources = [for destination in aws_cloudwatch_event_api_destination.destination : destination.arn]
  }
}

resource "aws_iam_role_policy" "invoke_destinations" {
  count = length(var.event_destinations) > 0 ? 1 : 0

  name   = "InvokeApiDestinations"
  role   = aws_iam_role.destinations[0].id
  policy = data.aws_iam_policy_document.invoke_destinations[0].json
}
