"""The CPU-only half of botocore's request path, shared by the clients built on it
(aioboto3, boto3, PynamoDB): its JSON response parser and its request serialiser,
run exactly as a client call runs them, without the network."""

from __future__ import annotations

import zlib
from typing import Any

import botocore.session
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from botocore.validate import ParamValidator

__all__ = ["BotocoreCPU"]


class BotocoreCPU:
    """Parses Query answers and serialises PutItem requests for DynamoDB."""

    def __init__(self) -> None:
        model = botocore.session.get_session().get_service_model("dynamodb")
        self.query = model.operation_model("Query")
        self.put = model.operation_model("PutItem")
        self.batch = model.operation_model("BatchWriteItem")
        self.parser = create_parser("json")
        self.serializer = create_serializer("json")
        self.validator = ParamValidator()

    def parse_query(self, body: bytes) -> dict[str, Any]:
        """The parsed answer, as `client.query(...)` returns it (CRC32 checked)."""
        zlib.crc32(body)  # botocore's retry handler checks every DynamoDB answer's CRC32
        response = {"body": body, "headers": {}, "status_code": 200}
        parsed: dict[str, Any] = self.parser.parse(response, self.query.output_shape)
        return parsed

    def serialize_put(self, params: dict[str, Any], *, validate: bool = True) -> bytes:
        """The PutItem request body; validated first, as a client does by default."""
        return self._serialize(self.put, params, validate)

    def serialize_batch(self, params: dict[str, Any], *, validate: bool = True) -> bytes:
        """The BatchWriteItem request body; validated first, as a client does by default."""
        return self._serialize(self.batch, params, validate)

    def _serialize(self, operation: Any, params: dict[str, Any], validate: bool) -> bytes:
        if validate:
            report = self.validator.validate(params, operation.input_shape)
            if report.has_errors():
                raise ValueError(report.generate_report())
        request = self.serializer.serialize_to_request(params, operation)
        body: bytes = request["body"]
        return body
