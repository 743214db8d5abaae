# The region's API Gateway account setting: the CloudWatch role API Gateway uses to write every
# REST API's logs in this account and region (access logs included). It is ONE setting per
# account and region, shared by every API there, so it lives apart from the API's stack:
# apply this once per region (when `aws apigateway get-account` shows no cloudwatchRoleArn),
# and destroying the API (terraform/) never touches it.
#
# Why apart: since provider 6, destroying aws_api_gateway_account always resets the setting
# (hashicorp/terraform-provider-aws#42226, which removed reset_on_delete), which would break
# logging for every other API in the region. Keep this stack; destroy it only when no REST API
# in the region logs to CloudWatch.
#
# The role carries AmazonAPIGatewayPushToCloudWatchLogs, the policy AWS documents for it
# (apigateway/latest/developerguide/set-up-logging.html): API Gateway checks the role's
# permissions when the setting is made and writes the log groups of any API in the region, so
# a policy narrowed to one log group makes UpdateAccount or a later stage fail.

data "aws_partition" "current" {}

data "aws_iam_policy_document" "api_gateway_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["apigateway.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api_gateway_cloudwatch" {
  # IAM is global: the region in the name keeps two regions' roles apart.
  name               = "apigateway-cloudwatch-${var.aws_region}"
  description        = "API Gateway writes the REST APIs' logs of ${var.aws_region} to CloudWatch Logs"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json
}

resource "aws_iam_role_policy_attachment" "api_gateway_cloudwatch" {
  role       = aws_iam_role.api_gateway_cloudwatch.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch.arn

  # The policy must be attached before API Gateway checks the role.
  depends_on = [aws_iam_role_policy_attachment.api_gateway_cloudwatch]
}
