terraform {
  # 1.5+: optional() object attributes with defaults, check blocks.
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: the version this configuration is written for (aws_lambda_function.logging_config
      # came in 5.32, nodejs22.x later in 5; 6 changed aws_api_gateway_account, which now lives in
      # account/). A 7.0 may change resources incompatibly: test it before widening this.
      version = ">= 6.0.0, < 7.0.0"
    }
    # random_password: the key listing cursors are signed with (lambda.tf).
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6.0, < 4.0.0"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = merge({ Project = var.name }, var.tags)
  }
}
