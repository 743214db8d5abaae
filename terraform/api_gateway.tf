# The REST API is openapi.yaml itself: the document is imported as the API's body, with the
# Lambda proxy integration (and, by default, SigV4 authorization) added to every operation here.
# A route therefore exists on API Gateway if and only if the contract has it, and any change to
# the body (the contract or the integration) redeploys the stage. See
# docs/decisions/001-api-gateway-from-openapi.md.

locals {
  openapi = yamldecode(file("${path.module}/../openapi.yaml"))

  # The keys of an OpenAPI path item that are operations (the others are summary, parameters, ...).
  openapi_methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

  # Added to every operation: the request goes to the function as is (AWS_PROXY), and the caller
  # must sign it when api_authorization is AWS_IAM.
  api_operation_extensions = {
    "x-amazon-apigateway-integration" = {
      type                = "aws_proxy"
      httpMethod          = "POST"
      uri                 = aws_lambda_function.api.invoke_arn
      passthroughBehavior = "when_no_match"
    }
    security = var.api_authorization == "AWS_IAM" ? [{ sigv4 = [] }] : []
  }

  api_body = merge(local.openapi, {
    paths = {
      for path, item in local.openapi.paths : path => merge(item, {
        for method, operation in item : method => merge(operation, local.api_operation_extensions)
        if contains(local.openapi_methods, method)
      })
    }
    components = merge(local.openapi.components, {
      securitySchemes = merge(try(local.openapi.components.securitySchemes, {}), {
        sigv4 = {
          type                           = "apiKey"
          name                           = "Authorization"
          in                             = "header"
          "x-amazon-apigateway-authtype" = "awsSigv4"
        }
      })
    })
  })

  # Every operation of the contract, by "METHOD /path", for the invoke permissions. arn_path is
  # the path as it appears in an execute-api ARN ({param} segments match anything).
  api_operations = merge([
    for path, item in local.openapi.paths : {
      for method, operation in item : "${upper(method)} ${path}" => {
        method   = upper(method)
        path     = path
        arn_path = replace(path, "/\\{[^}]+\\}/", "*")
      }
      if contains(local.openapi_methods, method)
    }
  ]...)
}

resource "aws_api_gateway_rest_api" "api" {
  name              = var.name
  description       = local.openapi.info.title
  body              = jsonencode(local.api_body)
  put_rest_api_mode = "overwrite"

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id

  triggers = {
    # The body is the contract plus the integration: a change to either makes a new deployment.
    redeployment = sha1(aws_api_gateway_rest_api.api.body)
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${var.name}/${var.api_stage_name}/access"
  retention_in_days = var.log_retention_days
}

resource "aws_api_gateway_stage" "api" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = var.api_stage_name

  # One JSON line per request. requestId is also the event's requestContext.requestId, which
  # the function logs and returns as a problem's `instance`.
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      sourceIp           = "$context.identity.sourceIp"
      caller             = "$context.identity.caller"
      userArn            = "$context.identity.userArn"
      userAgent          = "$context.identity.userAgent"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      path               = "$context.path"
      protocol           = "$context.protocol"
      status             = "$context.status"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      errorType          = "$context.error.responseType"
      errorMessage       = "$context.error.message"
    })
  }

  depends_on = [aws_api_gateway_account.api]
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.api.stage_name
  # Every method of every resource of the stage.
  method_path = "*/*"

  settings {
    throttling_rate_limit  = var.api_throttling_rate_limit
    throttling_burst_limit = var.api_throttling_burst_limit
    metrics_enabled        = true
    # Execution logs would copy request bodies (items) into CloudWatch; access logs are enough.
    logging_level = "OFF"
  }
}

# API Gateway writes access logs with the region's account-wide CloudWatch role. Only when asked
# (manage_api_gateway_account): it replaces whatever role the account has.
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
  count = var.manage_api_gateway_account ? 1 : 0

  name               = "${var.name}-apigateway-cloudwatch"
  assume_role_policy = data.aws_iam_policy_document.api_gateway_assume.json
}

data "aws_iam_policy_document" "api_gateway_cloudwatch" {
  statement {
    sid = "WriteAccessLogs"
    actions = [
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.api_access.arn,
      "${aws_cloudwatch_log_group.api_access.arn}:log-stream:*",
    ]
  }
}

resource "aws_iam_role_policy" "api_gateway_cloudwatch" {
  count = var.manage_api_gateway_account ? 1 : 0

  name   = "WriteAccessLogs"
  role   = aws_iam_role.api_gateway_cloudwatch[0].id
  policy = data.aws_iam_policy_document.api_gateway_cloudwatch.json
}

resource "aws_api_gateway_account" "api" {
  count = var.manage_api_gateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.api_gateway_cloudwatch[0].arn

  depends_on = [aws_iam_role_policy.api_gateway_cloudwatch]
}
