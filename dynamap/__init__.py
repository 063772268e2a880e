"""dynamap: an async object mapper for Amazon DynamoDB.

```python
from dynamap import GSI, F, Key, Model, Session, Table
```
"""

from dynamap._transport import RequestEvent, Stats
from dynamap.batch import BatchWriter
from dynamap.changes import UpdateChanges
from dynamap.compiler import CompiledIndex, CompiledModel, KeyAttribute
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
from dynamap.keys import KeyTemplate
from dynamap.model import Model
from dynamap.partial import Partial
from dynamap.prefixes import TablePrefix
from dynamap.query import Page, Query, Scan
from dynamap.retry import RetryPolicy
from dynamap.schema import TableSchema
from dynamap.session import Session, current_session
from dynamap.storage import EpochSeconds, NumericBool
from dynamap.tables import schema_of
from dynamap.transaction import Transaction

__version__ = "0.1.0"

__all__ = [
    "GSI",
    "LSI",
    "AccessDenied",
    "AmbiguousWrite",
    "BatchIncomplete",
    "BatchWriter",
    "CompiledIndex",
    "CompiledModel",
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
    "KeyAttribute",
    "KeyTemplate",
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
    "Transaction",
    "TransactionCanceled",
    "UniqueConstraintViolated",
    "UpdateChanges",
    "current_session",
    "new_id",
    "schema_of",
    "utcnow",
]
