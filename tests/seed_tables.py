"""Tables as the seeds define them, shared by the tests that compare dynamap's output
with them (schema unit tests, the CLI's dry run, the page manager example)."""

from __future__ import annotations

import json

__all__ = ["SEED_000_CREATE_TABLE"]

#: The seed's own command, `aws dynamodb create-table --table-name PageManager
#: --attribute-definitions ... --key-schema ... --global-secondary-indexes '[...]'`,
#: written as the JSON that `--cli-input-json` takes.
SEED_000_CREATE_TABLE = json.loads("""
{
  "TableName": "PageManager",
  "AttributeDefinitions": [
    {"AttributeName": "PK", "AttributeType": "S"},
    {"AttributeName": "SK", "AttributeType": "S"},
    {"AttributeName": "isPublished", "AttributeType": "N"},
    {"AttributeName": "createdAt", "AttributeType": "S"},
    {"AttributeName": "pageId", "AttributeType": "S"}
  ],
  "KeySchema": [
    {"AttributeName": "PK", "KeyType": "HASH"},
    {"AttributeName": "SK", "KeyType": "RANGE"}
  ],
  "GlobalSecondaryIndexes": [
    {
      "IndexName": "PublishedPagesIndex",
      "KeySchema": [
        {"AttributeName": "isPublished", "KeyType": "HASH"},
        {"AttributeName": "createdAt", "KeyType": "RANGE"}
      ],
      "Projection": {"ProjectionType": "ALL"}
    },
    {
      "IndexName": "PageNodesIndex",
      "KeySchema": [
        {"AttributeName": "pageId", "KeyType": "HASH"},
        {"AttributeName": "createdAt", "KeyType": "RANGE"}
      ],
      "Projection": {"ProjectionType": "ALL"}
    }
  ]
}
""")
