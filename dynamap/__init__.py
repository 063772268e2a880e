"""dynamap: an async object mapper for Amazon DynamoDB.

```python
from dynamap import GSI, F, Key, Model, Session, Table
```
"""

from dynamap._transport import RequestEvent, Stats
from dynamap.declarations import GSI, LSI, Key, Table
from dynamap.defaults import new_id, utcnow
from dynamap.errors import (
    AccessDenied,
    BatchIncomplete,
    ConditionCheckFailed,
    ConnectionFailed,
    DefinitionError,
    DynamapError,
    InvalidCursor,
    InvalidKey,
    InvalidRequest,
    InvalidValue,
    ItemNotFound,
    ItemTooLarge,
    OperationError,
    ServiceUnavailable,
    SessionError,
    TableNotFound,
    Throttled,
    TransactionCanceled,
    UniqueConstraintViolated,
)
from dynamap.expressions import F
from dynamap.model import Model
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
    "BatchIncomplete",
    "ConditionCheckFailed",
    "ConnectionFailed",
    "DefinitionError",
    "DynamapError",
    "EpochSeconds",
    "F",
    "InvalidCursor",
    "InvalidKey",
    "InvalidRequest",
    "InvalidValue",
    "ItemNotFound",
    "ItemTooLarge",
    "Key",
    "Model",
    "NumericBool",
    "OperationError",
    "Page",
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
    "new_id",
    "utcnow",
]
