variable "aws_region" {
  type        = string
  description = "The region whose API Gateway account setting this sets: the same as the API's."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as us-east-1."
  }
}
