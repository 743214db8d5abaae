# The items table. Its key is the one the store uses (TABLE_KEY in server/src/store/dynamodb.ts)
# and the contract names (user_id, a string). Items are written conditionally by the function,
# so nothing else is declared here: no sort key, no indexes, no TTL.

resource "aws_dynamodb_table" "items" {
  name         = var.name
  billing_mode = var.billing_mode
  # Only for PROVISIONED; on demand they must be unset.
  read_capacity  = var.billing_mode == "PROVISIONED" ? var.read_capacity : null
  write_capacity = var.billing_mode == "PROVISIONED" ? var.write_capacity : null

  hash_key = "user_id"

  attribute {
    name = "user_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  # Encrypted at rest with the AWS managed key (aws/dynamodb): its use shows in CloudTrail, and the
  # function's role needs no KMS permission for it.
  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}
