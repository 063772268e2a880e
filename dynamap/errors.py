"""Every error dynamap raises, under one root.

```
DynamapError
├── DefinitionError (TypeError)        a model or table declaration is wrong (at class creation)
├── InvalidValue (ValueError)          a value cannot be stored; raised before anything is sent
│   ├── InvalidKey                     a key value is missing or cannot be encoded
│   ├── InvalidUpdate                  an update names no field, or changes what dynamap manages
│   ├── PartialItem                    a partial read was used where a whole item is needed
│   └── ItemTooLarge                   an item is over DynamoDB's 400 KB limit
├── InvalidStoredItem (ValueError)     a stored item does not fit its model: table, key, fields
├── FieldNotRead (AttributeError)      a field of a `Partial` that its read did not return
├── InvalidCursor (ValueError)         a pagination cursor was tampered with, or is another query's
├── SessionError (RuntimeError)        the session is closed, or none is bound for model methods
├── BatchIncomplete                    a batch ran out of retries; carries exactly what was not done
├── UniqueConstraintViolated           a unique field's value is already taken
└── OperationError                     DynamoDB refused or failed a request
    ├── ItemNotFound                   a get that requires an item found none
    ├── ConditionCheckFailed           a condition was false; carries the current item
    ├── TransactionCanceled            a transaction was cancelled; carries the reason per action
    ├── TableNotFound                  the table does not exist (run `dynamap create-tables`)
    ├── InvalidRequest                 DynamoDB rejected the request as malformed
    ├── Throttled                      throughput exceeded and retries ran out
    ├── AccessDenied                   credentials missing, wrong or not allowed
    ├── ServiceUnavailable             a 5xx from DynamoDB after retries
    ├── ConnectionFailed               the endpoint could not be reached
    └── AmbiguousWrite                 a write may or may not have been applied; it cannot be known
```

AWS error codes are translated to these classes in exactly one place,
`dynamap._transport`, through `ERROR_CODES` below.
"""

# The names follow DynamoDB's own (ConditionCheckFailed, Throttled, ...), not "...Error".
# ruff: noqa: N818

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

__all__ = [
    "ERROR_CODES",
    "AccessDenied",
    "AmbiguousWrite",
    "BatchIncomplete",
    "ConditionCheckFailed",
    "ConnectionFailed",
    "DefinitionError",
    "DynamapError",
    "FieldNotRead",
    "InvalidCursor",
    "InvalidKey",
    "InvalidRequest",
    "InvalidStoredItem",
    "InvalidUpdate",
    "InvalidValue",
    "ItemNotFound",
    "ItemTooLarge",
    "OperationError",
    "PartialItem",
    "ServiceUnavailable",
    "SessionError",
    "TableNotFound",
    "Throttled",
    "TransactionCanceled",
    "UniqueConstraintViolated",
]

DOCS_URL = "https://dynamap.readthedocs.io/en/latest/errors/"


class DynamapError(Exception):
    """The root of every error dynamap raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The subclasses take keyword-only data, which pickle's default (calling the
        # class with `args`) would lose or fail on; rebuild from args and attributes.
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(cls: type[DynamapError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class DefinitionError(DynamapError, TypeError):
    """A model, key template, index or table declaration is wrong.

    Raised while the class is being created, so a bad model never imports.

    Attributes:
        code: a short stable identifier of the mistake, also the anchor of its docs entry.
    """

    def __init__(self, message: str, *, code: str) -> None:
        self.code = code
        super().__init__(f"{message}\n  (docs: {DOCS_URL}#{code})")


class InvalidValue(DynamapError, ValueError):
    """A Python value cannot be stored in DynamoDB. Raised before any request is sent."""


class InvalidKey(InvalidValue):
    """A key field is missing, or its value cannot be encoded into the key."""


class InvalidUpdate(InvalidValue):
    """An update names a path that is not a field of the model (the message suggests the
    nearest one), gives a value of the wrong type, removes or nulls a required field, or
    changes an attribute dynamap manages (keys, entity, version, created timestamp).
    Raised before anything is sent; `Session.update_raw` is the schema-less escape hatch.
    """


class PartialItem(InvalidValue):
    """A partial read (`dynamap.Partial`) was used where a whole item is needed, such as
    `put`, or a read would return partial items without saying so (an index that
    projects only some fields, queried without `.partial()`)."""


class FieldNotRead(DynamapError, AttributeError):
    """A field of a `dynamap.Partial` that its read (a projection or an index that
    projects only some fields) did not return. dynamap never makes up such a value."""


class InvalidStoredItem(DynamapError, ValueError):
    """A stored item does not fit its model (written by an older model, by hand, or by
    another program). Reads of it raise this instead of returning made-up data; queries
    and scans can skip such items with `.on_invalid("skip")` and count them.

    Attributes:
        model: the model class name.
        table: the table's name (as declared, without a prefix).
        key: the item's primary key, as DynamoDB JSON.
        fields: the fields that failed, as dotted paths.
        errors: pydantic's error list (`ValidationError.errors()`), for detail.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str,
        table: str,
        key: Mapping[str, Any],
        fields: Sequence[str],
        errors: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.model = model
        self.table = table
        self.key = dict(key)
        self.fields = list(fields)
        self.errors = list(errors)
        super().__init__(message)


class ItemTooLarge(InvalidValue):
    """An item is larger than DynamoDB's 400 KB item limit.

    Attributes:
        size: the item's size in bytes, measured by DynamoDB's rules.
    """

    def __init__(self, message: str, *, size: int) -> None:
        self.size = size
        super().__init__(message)


class InvalidCursor(DynamapError, ValueError):
    """A pagination cursor was tampered with, is malformed, or belongs to another query."""


class SessionError(DynamapError, RuntimeError):
    """The session is closed or not open yet, or no session is bound for a model method."""


class UniqueConstraintViolated(DynamapError):
    """Another item already holds the value of a field declared unique.

    Attributes:
        model: the model class name.
        field: the unique field.
        value: the value that is taken.
    """

    def __init__(self, model: str, field: str, value: object) -> None:
        self.model = model
        self.field = field
        self.value = value
        super().__init__(f"{model}.{field} must be unique, and {value!r} is already taken")


class BatchIncomplete(DynamapError):
    """A batch ran out of its retry budget with some writes or reads not done.

    Nothing is dropped silently: `unprocessed` holds exactly what was not done, as the
    models (or keys) that were handed to the batch.

    Attributes:
        unprocessed: the items, deletes or keys that were not processed.
    """

    def __init__(self, message: str, unprocessed: Sequence[Any]) -> None:
        self.unprocessed = list(unprocessed)
        super().__init__(f"{message}: {len(self.unprocessed)} not processed")


class OperationError(DynamapError):
    """DynamoDB refused or failed a request.

    Attributes:
        operation: the DynamoDB operation, e.g. "PutItem".
        table: the physical table name, when the request had one.
        code: the AWS error code, e.g. "ConditionalCheckFailedException".
        request_id: the AWS request id, for support cases and logs.
        ambiguous: the request may have been applied although this error is raised:
            a try of it (this one or an earlier one) was sent and its answer was lost
            (a dropped connection, a timeout, a 5xx). On a `ConditionCheckFailed` it
            means the failed condition may be that earlier try's own doing. See
            docs/concepts/retries.md.
    """

    ambiguous: bool = False

    def __init__(
        self,
        message: str,
        *,
        operation: str = "",
        table: str | None = None,
        code: str = "",
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.operation = operation
        self.table = table
        self.code = code
        self.request_id = request_id
        where = f" on table {table!r}" if table else ""
        prefix = f"{operation}{where}: " if operation else ""
        super().__init__(f"{prefix}{message}")


class ItemNotFound(OperationError):
    """A read that requires an item found none."""


class ConditionCheckFailed(OperationError):
    """A condition expression evaluated to false.

    Attributes:
        item: the item as it is stored now (decoded to its model when known, else raw
            DynamoDB JSON), or None when there is no item or DynamoDB did not return it.
    """

    def __init__(
        self, message: str, *, item: BaseModel | dict[str, Any] | None = None, **context: Any
    ) -> None:
        self.item = item
        super().__init__(message, **context)


class TransactionCanceled(OperationError):
    """A transaction was cancelled; nothing in it was applied.

    Attributes:
        cancellation_reasons: one entry per action, in the order the actions were
            added: a mapping with "Code", "Message" and, where DynamoDB returns it,
            "Item" (the current item).
    """

    def __init__(
        self,
        message: str,
        *,
        cancellation_reasons: Sequence[Mapping[str, Any]] = (),
        **context: Any,
    ) -> None:
        self.cancellation_reasons = list(cancellation_reasons)
        super().__init__(message, **context)


class TableNotFound(OperationError):
    """The table does not exist. Create it with `dynamap create-tables` or `db.create_tables`."""


class InvalidRequest(OperationError):
    """DynamoDB rejected the request as malformed (ValidationException and kin)."""


class Throttled(OperationError):
    """Throughput or request limits were exceeded and the retry budget ran out."""


class AccessDenied(OperationError):
    """Credentials are missing, invalid, expired or not allowed to do this."""


class ServiceUnavailable(OperationError):
    """DynamoDB answered with a server error (5xx) and the retry budget ran out."""


class ConnectionFailed(OperationError):
    """The endpoint could not be reached, or the connection dropped, after retries."""


class AmbiguousWrite(OperationError):
    """A write may or may not have been applied, or what it did cannot be known.

    Raised where retrying could apply the write twice (a non-idempotent update under
    `RetryPolicy(non_idempotent="no-retry")`), or where the answer that would say
    what happened was lost: a delete whose retry found no item (the item is gone, but
    whether this call deleted it, and what it was, cannot be known), a
    `put_returning_old` applied by a try whose answer, the replaced item, was lost.
    `ambiguous` is always True; the failure that led to it is the `__cause__`.
    """

    ambiguous = True


#: AWS error code (the part after '#' in `__type`) -> the error class it is raised as.
ERROR_CODES: Mapping[str, type[OperationError]] = {
    "ConditionalCheckFailedException": ConditionCheckFailed,
    "DuplicateItemException": ConditionCheckFailed,  # a PartiQL INSERT of a taken key
    "DuplicateItem": ConditionCheckFailed,  # the same, as DynamoDB Local names it
    "TransactionCanceledException": TransactionCanceled,
    "TransactionConflictException": TransactionCanceled,
    "TransactionInProgressException": InvalidRequest,
    "IdempotentParameterMismatchException": InvalidRequest,
    "ResourceNotFoundException": TableNotFound,
    "ResourceInUseException": InvalidRequest,
    "ValidationException": InvalidRequest,
    "SerializationException": InvalidRequest,
    "ItemCollectionSizeLimitExceededException": InvalidRequest,
    "LimitExceededException": Throttled,
    "ProvisionedThroughputExceededException": Throttled,
    "RequestLimitExceeded": Throttled,
    "ThrottlingException": Throttled,
    "AccessDeniedException": AccessDenied,
    "UnrecognizedClientException": AccessDenied,
    "MissingAuthenticationTokenException": AccessDenied,
    "IncompleteSignatureException": AccessDenied,
    "InvalidSignatureException": AccessDenied,
    "ExpiredTokenException": AccessDenied,
    "InternalServerError": ServiceUnavailable,
    "InternalFailure": ServiceUnavailable,
    "ServiceUnavailable": ServiceUnavailable,
}
