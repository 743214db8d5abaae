output "cloudwatch_role_arn" {
  description = "The role API Gateway now writes this region's REST API logs with."
  value       = aws_api_gateway_account.this.cloudwatch_role_arn
}
