"""dynamap: an async object mapper for Amazon DynamoDB."""
