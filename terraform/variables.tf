# Every input of the deployment. Names of AWS resources all start with var.name.

variable "aws_region" {
  type        = string
  description = "AWS region to deploy to."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region code such as us-east-1."
  }
}

variable "name" {
  type        = string
  description = "Name of the deployment: the table, bus, function and API are named after it, and every other resource starts with it."
  default     = "dynamo-crud"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{2,39}$", var.name))
    error_message = "name must be 3 to 40 letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (besides Project = var.name)."
  default     = {}
}

# --- DynamoDB ---

variable "billing_mode" {
  type        = string
  description = "Table capacity: PAY_PER_REQUEST (on demand) or PROVISIONED (then read_capacity and write_capacity apply)."
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  type        = number
  description = "Read capacity units when billing_mode is PROVISIONED; ignored on demand."
  default     = 5

  validation {
    condition     = var.read_capacity >= 1 && floor(var.read_capacity) == var.read_capacity
    error_message = "read_capacity must be a whole number of at least 1."
  }
}

variable "write_capacity" {
  type        = number
  description = "Write capacity units when billing_mode is PROVISIONED; ignored on demand."
  default     = 5

  validation {
    condition     = var.write_capacity >= 1 && floor(var.write_capacity) == var.write_capacity
    error_message = "write_capacity must be a whole number of at least 1."
  }
}

variable "point_in_time_recovery" {
  type        = bool
  description = "Keep continuous backups of the table (restore to any second of the last 35 days)."
  default     = true
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the table. Set false and apply before terraform destroy."
  default     = true
}

variable "idempotency_ttl_seconds" {
  type        = number
  description = "How long the answer to a write sent with an Idempotency-Key is kept for a replay, in seconds (IDEMPOTENCY_TTL_SECONDS)."
  default     = 86400

  validation {
    condition     = var.idempotency_ttl_seconds >= 60 && var.idempotency_ttl_seconds <= 604800 && floor(var.idempotency_ttl_seconds) == var.idempotency_ttl_seconds
    error_message = "idempotency_ttl_seconds must be a whole number from 60 to 604800 (a week)."
  }
}

# --- Lambda ---

variable "lambda_memory_mb" {
  type        = number
  description = "Memory of the function in MB (CPU grows with it)."
  default     = 512

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be from 128 to 10240."
  }
}

variable "lambda_timeout_seconds" {
  type        = number
  description = "Time limit of one invocation, in seconds; under API Gateway's 29 s integration limit. The default covers the worst case of every retry budget (DynamoDB, PutEvents, the dead-letter queue): see invocationBudget in server/src/aws/budget.ts."
  default     = 25

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 28
    error_message = "lambda_timeout_seconds must be from 1 to 28."
  }
}

variable "lambda_architecture" {
  type        = string
  description = "Instruction set of the function: arm64 (cheaper) or x86_64. The bundle is plain JavaScript and runs on both."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_reserved_concurrency" {
  type        = number
  description = "Instances of the function that may run at once, reserved from the account's pool; null (the default) reserves none and shares the account's. A cap also caps what the API serves: requests over it are throttled (API Gateway answers 5xx)."
  default     = null

  validation {
    condition     = var.lambda_reserved_concurrency == null || try(var.lambda_reserved_concurrency >= 1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency, false)
    error_message = "lambda_reserved_concurrency must be null or a whole number of at least 1."
  }
}

variable "tracing" {
  type        = bool
  description = "X-Ray tracing of the stage and the function, with DynamoDB, EventBridge and SQS calls traced by Powertools' tracer (POWERTOOLS_TRACE_ENABLED). Off by default: it adds to every cold start (see the README's Performance section) and X-Ray bills per trace."
  default     = false
}

variable "log_level" {
  type        = string
  description = "Level of the function's logs (POWERTOOLS_LOG_LEVEL)."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR", "SILENT"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARN, ERROR or SILENT."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days the function's logs and the API access logs are kept."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

# --- API Gateway ---

variable "api_authorization" {
  type        = string
  description = "Who may call the API: AWS_IAM (callers sign requests with SigV4 and need execute-api:Invoke) or NONE (anyone who knows the URL)."
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "NONE"], var.api_authorization)
    error_message = "api_authorization must be AWS_IAM or NONE."
  }
}

variable "api_stage_name" {
  type        = string
  description = "Stage of the API; it is the first segment of the URL path."
  default     = "prod"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,128}$", var.api_stage_name))
    error_message = "api_stage_name must be 1 to 128 letters, digits, hyphens or underscores."
  }
}

variable "api_throttling_rate_limit" {
  type        = number
  description = "Requests per second the stage accepts (steady state) before answering 429."
  default     = 100

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be positive."
  }
}

variable "api_throttling_burst_limit" {
  type        = number
  description = "Requests the stage accepts in a burst above the rate limit."
  default     = 200

  validation {
    condition     = var.api_throttling_burst_limit >= 0 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number, 0 or more."
  }
}

# --- Events ---

variable "event_source" {
  type        = string
  description = "Source of the events the function puts on the bus (EVENT_SOURCE); the POST rule matches on it."
  default     = "dynamo"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{1,256}$", var.event_source)) && !startswith(var.event_source, "aws.")
    error_message = "event_source must be 1 to 256 of a-z A-Z 0-9 _ . - and not start with \"aws.\"."
  }
}

variable "event_destinations" {
  type = map(object({
    endpoint                         = string
    http_method                      = optional(string, "POST")
    invocation_rate_limit_per_second = optional(number)
    api_key_header                   = optional(string, "x-api-key")
  }))
  description = "Webhooks that receive every POST (item created) event, by name: an EventBridge connection and API destination each. The API key sent in api_key_header is in event_destination_api_keys under the same name. invocation_rate_limit_per_second defaults to api_throttling_rate_limit (at most 300)."
  default     = {}

  validation {
    condition = alltrue([
      for key, destination in var.event_destinations :
      can(regex("^[a-zA-Z0-9_-]{1,20}$", key)) && startswith(destination.endpoint, "https://")
    ])
    error_message = "event_destinations keys must be 1 to 20 letters, digits, - or _, and each endpoint an https:// URL."
  }

  validation {
    condition = alltrue([
      for destination in var.event_destinations :
      contains(["POST", "PUT", "PATCH"], destination.http_method) &&
      coalesce(destination.invocation_rate_limit_per_second, 1) >= 1 &&
      coalesce(destination.invocation_rate_limit_per_second, 300) <= 300
    ])
    error_message = "http_method must be POST, PUT or PATCH and invocation_rate_limit_per_second from 1 to 300."
  }
}

variable "event_destination_api_keys" {
  type        = map(string)
  description = "API key of each event destination, by the same name as in event_destinations (stored by EventBridge in Secrets Manager)."
  default     = {}
  sensitive   = true
}

variable "event_retry_attempts" {
  type        = number
  description = "Times EventBridge retries delivering an event to a destination before it goes to the rule's dead-letter queue."
  default     = 185

  validation {
    condition     = var.event_retry_attempts >= 0 && var.event_retry_attempts <= 185
    error_message = "event_retry_attempts must be from 0 to 185."
  }
}

variable "event_retry_max_age_seconds" {
  type        = number
  description = "Longest time EventBridge keeps retrying an event, in seconds, before it goes to the rule's dead-letter queue."
  default     = 86400

  validation {
    condition     = var.event_retry_max_age_seconds >= 60 && var.event_retry_max_age_seconds <= 86400
    error_message = "event_retry_max_age_seconds must be from 60 to 86400."
  }
}

variable "event_archive_retention_days" {
  type        = number
  description = "Days every event on the bus is archived, for replay; 0 keeps them forever."
  default     = 30

  validation {
    condition     = var.event_archive_retention_days >= 0 && floor(var.event_archive_retention_days) == var.event_archive_retention_days
    error_message = "event_archive_retention_days must be a whole number, 0 or more."
  }
}

# --- Operations ---

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic every alarm notifies (in alarm and back to OK); null (the default) creates the alarms without notifications."
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be null or an SNS topic ARN."
  }
}
