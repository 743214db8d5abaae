terraform {
  # 1.5+: optional() object attributes with defaults, check blocks.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.26+: aws_lambda_function.logging_config.
      version = ">= 5.26.0, < 7.0.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = var.name }, var.tags)
  }
}
