"""dynamap: an async object mapper for Amazon DynamoDB.

```python
from dynamap import GSI, F, Key, Model, Session, Table
```
"""

from dynamap._changes import UpdateChanges
from dynamap._compiler import CompiledIndex, CompiledModel, KeyAttribute
from dynamap._declarations import GSI, LSI, Key, Table
from dynamap._defaults import new_id, utcnow
from dynamap._keys import KeyTemplate
from dynamap._model import Model
from dynamap._partial import Partial
from dynamap._prefixes import TablePrefix
from dynamap._query import Page, Query, Scan
from dynamap._retry import RetryPolicy
from dynamap._schema import TableSchema
from dynamap._session import Session, current_session
from dynamap._storage import EpochSeconds, NumericBool
from dynamap._tables import schema_of
from dynamap._transaction import Transaction
from dynamap._transport import RequestEvent, Stats
from dynamap.batch import BatchWriter
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
