"""dynamap: an async object mapper for Amazon DynamoDB.

```python
from dynamap import GSI, F, Key, Model, Session, Table
```
"""

from dynamap._transport import RequestEvent, Stats
from dynamap.changes import UpdateChanges
from dynamap.declarations import GSI, LSI, Key, Table
from dynamap.defaults import new_id, utcnow
from dynamap.errors import (
    AccessDenied,
    AmbiguousWrite,
    BatchIncomplete,
    ConditionCheckFailed,
    ConnectionFailed,
    DefinitionError,
    DynamapError,
    FieldNotRead,
    InvalidCursor,
    InvalidKey,
    InvalidRequest,
    InvalidStoredItem,
    InvalidUpdate,
    InvalidValue,
    ItemNotFound,
    ItemTooLarge,
    OperationError,
    PartialItem,
    ServiceUnavailable,
    SessionError,
    TableNotFound,
    Throttled,
    TransactionCanceled,
    UniqueConstraintViolated,
)
from dynamap.expressions import F
from dynamap.model import Model
from dynamap.partial import Partial
from dynamap.prefixes import TablePrefix
from dynamap.query import Page, Query, Scan
from dynamap.retry import RetryPolicy
from dynamap.schema import TableSchema
from dynamap.session import Session
from dynamap.storage import EpochSeconds, NumericBool

__version__ = "0.1.0"

__all__ = [
    "GSI",
    "LSI",
    "AccessDenied",
    "AmbiguousWrite",
    "BatchIncomplete",
    "ConditionCheckFailed",
    "ConnectionFailed",
    "DefinitionError",
    "DynamapError",
    "EpochSeconds",
    "F",
    "FieldNotRead",
    "InvalidCursor",
    "InvalidKey",
    "InvalidRequest",
    "InvalidStoredItem",
    "InvalidUpdate",
    "InvalidValue",
    "ItemNotFound",
    "ItemTooLarge",
    "Key",
    "Model",
    "NumericBool",
    "OperationError",
    "Page",
    "Partial",
    "PartialItem",
    "Query",
    "RequestEvent",
    "RetryPolicy",
    "Scan",
    "ServiceUnavailable",
    "Session",
    "SessionError",
    "Stats",
    "Table",
    "TableNotFound",
    "TablePrefix",
    "TableSchema",
    "Throttled",
    "TransactionCanceled",
    "UniqueConstraintViolated",
    "UpdateChanges",
    "new_id",
    "utcnow",
]
