# The items table. Its key is the one the store uses (TABLE_KEY in server/src/store/dynamodb.ts)
# and the contract names (user_id, a string). Items are written conditionally by the function,
# so nothing else is declared here: no sort key, no indexes, no TTL. Below it, the table of
# idempotency records.

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

# The answers of writes sent with an Idempotency-Key, one record per key, written by Powertools
# idempotency (DynamoDBPersistenceLayer: key "id", expiry "expiration" in epoch seconds; see
# server/src/idempotency/store.ts). Records count as expired at IDEMPOTENCY_TTL_SECONDS whatever
# DynamoDB does; TTL deletes them afterwards (usually within days), so the table stays small.
# No deletion protection: it only holds answers kept for a day, and losing them only means that
# a retry within that day is carried out again.
resource "aws_dynamodb_table" "idempotency" {
  name         = "${var.name}-idempotency"
  billing_mode = var.billing_mode
  # Only for PROVISIONED; on demand they must be unset. Each keyed write is one put and one
  # update here besides its own write.
  read_capacity  = var.billing_mode == "PROVISIONED" ? var.read_capacity : null
  write_capacity = var.billing_mode == "PROVISIONED" ? var.write_capacity : null

  hash_key = "id"

  attribute {
    name = "id"
    type = "S"
  }

  ttl {
    attribute_name = "expiration"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled = true
  }
}
