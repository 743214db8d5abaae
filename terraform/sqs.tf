# Two dead-letter queues, so that no event is lost silently:
# - undelivered_events: events the function could not put on the bus (PutEvents failed after
#   its retries); the function sends them itself (DLQ_URL).
# - destination_dead_letter: events the bus could not deliver to an API destination after the
#   rule target's retry policy; EventBridge sends them.
# Both keep messages for 14 days, the most SQS allows, encrypted with SQS-managed keys (no KMS
# permission needed to send).

resource "aws_sqs_queue" "undelivered_events" {
  name                      = "${var.name}-undelivered-events"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "destination_dead_letter" {
  name                      = "${var.name}-destination-dead-letter"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# Only the POST rule may send to the destinations' dead-letter queue.
data "aws_iam_policy_document" "destination_dead_letter" {
  statement {
    sid       = "PostRuleDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.destination_dead_letter.arn]

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

resource "aws_sqs_queue_policy" "destination_dead_letter" {
  queue_url = aws_sqs_queue.destination_dead_letter.id
  policy    = data.aws_iam_policy_document.destination_dead_letter.json
}
