# The REST API is openapi.yaml itself: the document is imported as the API's body, with the
# Lambda proxy integration (and, by default, SigV4 authorization) added to every operation here.
# A route therefore exists on API Gateway if and only if the contract has it, and any change to
# the body (the contract or the integration) redeploys the stage. See
# docs/decisions/001-api-gateway-from-openapi.md.

locals {
  # openapi.yaml made importable (scripts/generate-api-gateway.ts, `npm run generate`): models
  # keep only the JSON Schema draft 4 keywords API Gateway accepts, and API Gateway's own
  # answers are problems (x-amazon-apigateway-gateway-responses). openapi.yaml keeps its examples.
  openapi = jsondecode(file("${path.module}/api-body.gen.json"))

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

  # Each path of the contract also gets API Gateway's catch-all ANY method, to the same
  # function: a method the contract does not declare there reaches the function, which answers
  # 405 with Allow as it does locally (without it API Gateway answers 403 "Missing
  # Authentication Token"). Declared methods take precedence over ANY ("x-amazon-apigateway-
  # any-method", API Gateway's OpenAPI extensions). Unknown paths still get API Gateway's 403,
  # as a problem (gateway response MISSING_AUTHENTICATION_TOKEN).
  api_body = merge(local.openapi, {
    paths = {
      for path, item in local.openapi.paths : path => merge(item, {
        for method, operation in item : method => merge(operation, local.api_operation_extensions)
        if contains(local.openapi_methods, method)
        }, {
        "x-amazon-apigateway-any-method" = merge(
          { responses = { "405" = { description = "The path does not serve this method (Allow lists those it does)." } } },
          local.api_operation_extensions,
        )
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

  # Every path of the contract, for the invoke permissions: any method, since ANY goes to the
  # function too. arn_path is the path as it appears in an execute-api ARN ({param} segments
  # match anything).
  api_paths = {
    for path, item in local.openapi.paths : path => {
      arn_path = replace(path, "/\\{[^}]+\\}/", "*")
    }
  }
}

resource "aws_api_gateway_rest_api" "api" {
  name              = var.name
  description       = local.openapi.info.title
  body              = jsonencode(local.api_body)
  put_rest_api_mode = "overwrite"
  # A route or model API Gateway drops with a warning fails the apply, rather than the deployed
  # API silently differing from the contract (aws_api_gateway_rest_api, fail_on_warnings).
  fail_on_warnings = true

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
  # X-Ray traces of API Gateway's part of each request, joined with the function's.
  xray_tracing_enabled = var.tracing

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
