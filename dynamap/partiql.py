"""PartiQL statements (ExecuteStatement, BatchExecuteStatement, ExecuteTransaction)
with models.

```python
from dynamap import partiql

pages = await partiql.execute(db, Page, 'SELECT * FROM {table} WHERE PK = ?', "PAGE#p1")
async for item in partiql.iterate(db, page_manager, 'SELECT * FROM {table}'):
    ...                                        # each item as its own model
await partiql.execute(db, Page, partiql.insert(Page(title="Home")))
```

Values go into a statement only as `?` placeholders, each one a parameter: dynamap
never puts a value into the statement's text, and refuses a statement whose
placeholders (outside quoted names and string literals) do not match its parameters.
`{table}` stands for the target's physical table name, table prefix included, quoted
(`"dev-PageManager"`); an index is `{table}."IndexName"`.

Parameters are encoded by their Python type, as in conditions, and an `Encoded`
value is sent as the DynamoDB JSON it holds. `insert(instance)` is the statement that
inserts a model instance as its whole stored item (keys and entity included).

Results are decoded like a query's: to the target model, skipping other entities of
a shared table, or (for a `Table`) each item as its own model; unique-field markers
are never results. `SELECT *` reads
decode as whole models; a narrower SELECT decodes what it read, the other fields
keeping their defaults (as `fields=` does). Pages follow `NextToken` until the end.

PartiQL writes go around dynamap's write path: no version checks, timestamps or
unique-field markers. So `insert` refuses a model with unique fields.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from dynamap._codec import encode_value
from dynamap._compiler import CompiledModel
from dynamap._context import Context
from dynamap._declarations import Table
from dynamap._unique import MARKER_ENTITY
from dynamap.errors import InvalidValue, PartialItem
from dynamap.expressions import Encoded
from dynamap.readtarget import SKIP, ReadTarget, resolve_target

__all__ = [
    "MAX_BATCH_STATEMENTS",
    "MAX_TRANSACTION_STATEMENTS",
    "BatchResult",
    "PartiQLPage",
    "Statement",
    "batch_execute",
    "execute",
    "execute_page",
    "execute_transaction",
    "insert",
    "iterate",
]

M = TypeVar("M", bound=BaseModel)
Target = type[M] | Table[M]

#: DynamoDB's limits on BatchExecuteStatement and ExecuteTransaction.
MAX_BATCH_STATEMENTS = 25
MAX_TRANSACTION_STATEMENTS = 100

_TABLE = "{table}"
_SELECT_ALL = re.compile(r"\s*SELECT\s+\*", re.IGNORECASE)
_SELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True, init=False)
class Statement:
    """One PartiQL statement and its parameters, for batches and transactions:
    `Statement('UPDATE {table} SET title = ? WHERE PK = ? AND SK = ?', "New", pk, sk)`.

    Args:
        text: the statement; values only as `?` placeholders, `{table}` for the table.
        *parameters: one value per placeholder, in order.
    """

    text: str
    parameters: tuple[Any, ...] = field(default=())

    def __init__(self, text: str, *parameters: Any) -> None:
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "parameters", parameters)


@dataclass(frozen=True, slots=True)
class PartiQLPage(Generic[M]):
    """One page of a statement's results.

    Attributes:
        items: the items of this page, decoded.
        next_token: pass it to `execute_page` for the next page; None on the last.
    """

    items: list[M]
    next_token: str | None


@dataclass(frozen=True, slots=True)
class BatchResult(Generic[M]):
    """The outcome of one statement of a batch.

    Attributes:
        item: the item a read statement found, decoded (None otherwise).
        error_code: DynamoDB's error code when this statement failed, e.g.
            "ConditionalCheckFailed" or "DuplicateItem"; None when it succeeded.
        error_message: DynamoDB's message for that error.
    """

    item: M | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the statement succeeded."""
        return self.error_code is None


# -- statements -----------------------------------------------------------------------------


def _render(text: str, table: str | None) -> tuple[str, int]:
    """The statement with `{table}` filled in, and how many `?` placeholders it has
    (outside double-quoted names and single-quoted literals)."""
    if not isinstance(text, str):
        raise InvalidValue(f"a PartiQL statement is a str, not {type(text).__name__}")
    out: list[str] = []
    placeholders, i, quote = 0, 0, ""
    while i < len(text):
        char = text[i]
        if quote:
            out.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            out.append(char)
        elif text.startswith(_TABLE, i):
            if table is None:
                raise InvalidValue("this statement names {table}, but no target was given")
            out.append('"' + table.replace('"', '""') + '"')
            i += len(_TABLE)
            continue
        else:
            placeholders += char == "?"
            out.append(char)
        i += 1
    if quote:
        raise InvalidValue(f"unterminated {quote} in PartiQL statement")
    return "".join(out), placeholders


def _parameter(value: object) -> dict[str, Any]:
    if isinstance(value, Encoded):
        return value.attribute_value
    encoded: dict[str, Any] = encode_value(value)
    return encoded


def insert(instance: BaseModel) -> Statement:
    """The statement that inserts this model instance as its whole stored item (keys
    and entity included), refused by DynamoDB if the key is taken:
    `INSERT INTO {table} VALUE {'PK': ?, 'SK': ?, ...}`, one parameter per attribute.

    Raises:
        TypeError: `instance` is not a dynamap model instance.
        InvalidValue: the model has unique fields (PartiQL writes would not keep them
            unique: use `db.put`), or a value cannot be stored.
    """
    compiled: CompiledModel[Any] | None = getattr(type(instance), "__dynamap__", None)
    if compiled is None:
        raise TypeError(f"{instance!r} is not an instance of a dynamap model with a table")
    if compiled.options.unique:
        raise InvalidValue(
            f"{type(instance).__name__} has unique fields, which PartiQL writes would not "
            "keep unique; write it with db.put()"
        )
    item = compiled.to_item(instance)
    names = ", ".join("'" + name.replace("'", "''") + "': ?" for name in item)
    return Statement(
        f"INSERT INTO {_TABLE} VALUE {{{names}}}", *(Encoded(value) for value in item.values())
    )


def _request(statement: Statement, table: str | None) -> dict[str, Any]:
    text, count = _render(statement.text, table)
    if count != len(statement.parameters):
        raise InvalidValue(
            f"the statement has {count} ? placeholder(s) and {len(statement.parameters)} "
            "parameter(s); values go in only as parameters, one per ?"
        )
    request: dict[str, Any] = {"Statement": text}
    if statement.parameters:
        request["Parameters"] = [_parameter(value) for value in statement.parameters]
    return request


# -- decoding -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Decoder:
    target: ReadTarget

    def __call__(self, raw: Mapping[str, Any]) -> Any:
        value = raw.get(self.target.table.entity_attribute, {})
        entity = value.get("S") if isinstance(value, Mapping) else None
        compiled = self.target.compiled
        if entity == MARKER_ENTITY or (
            compiled is not None and entity is not None and entity != compiled.entity
        ):
            return SKIP
        return self.target.decode(raw, projection=None, unknown="skip")

    def all(self, items: Sequence[Mapping[str, Any]]) -> list[Any]:
        decoded = (self(item) for item in items)
        return [item for item in decoded if item is not SKIP]


def _resolved(db: Context, target: Target[Any] | None) -> tuple[ReadTarget | None, str | None]:
    if target is None:
        return None, None
    resolved = resolve_target(target, None)
    return resolved, db.table_name(resolved.table)


def _statement(statement: str | Statement, parameters: tuple[Any, ...]) -> Statement:
    if isinstance(statement, Statement):
        if parameters:
            raise InvalidValue("a Statement carries its own parameters; give no others")
        return statement
    return Statement(statement, *parameters)


def _decoder(resolved: ReadTarget | None, text: str) -> _Decoder | None:
    """How the items a statement returns are decoded; None: as plain dicts.

    Raises:
        PartialItem: a SELECT of some attributes into models, which would be partial.
    """
    if resolved is None:
        return None
    if _SELECT.match(text) and not _SELECT_ALL.match(text):
        raise PartialItem(
            "a SELECT of named attributes returns only parts of items, which cannot be "
            "decoded as whole models: SELECT * into models, or pass no model to get the "
            "attributes as plain dicts"
        )
    return _Decoder(resolved)


# -- ExecuteStatement -------------------------------------------------------------------------


async def execute_page(
    db: Context,
    target: Target[M],
    statement: str | Statement,
    /,
    *parameters: Any,
    next_token: str | None = None,
    consistent: bool = False,
    limit: int | None = None,
) -> PartiQLPage[M]:
    """Run one ExecuteStatement call: one page of results.

    Args:
        db: an open session.
        target: the model (or `Table`) the results decode to, and `{table}` names.
        statement: the statement, values only as `?` placeholders (or a `Statement`
            with its parameters).
        *parameters: one value per placeholder.
        next_token: the token of the page before, to resume after it.
        consistent: a strongly consistent read.
        limit: how many items DynamoDB evaluates for this page at most.

    Raises:
        InvalidValue: placeholders and parameters do not match, or a value cannot be
            stored (before anything is sent).
    """
    resolved, table = _resolved(db, target)
    whole = _statement(statement, parameters)
    request = _request(whole, table)
    decoder = _decoder(resolved, whole.text)  # refuses partial SELECTs before sending
    assert decoder is not None
    if next_token is not None:
        request["NextToken"] = next_token
    if consistent:
        request["ConsistentRead"] = True
    if limit is not None:
        request["Limit"] = limit
    answer = await db.send("ExecuteStatement", request, table=table)
    return PartiQLPage(decoder.all(answer.get("Items", [])), answer.get("NextToken"))


async def iterate(
    db: Context,
    target: Target[M],
    statement: str | Statement,
    /,
    *parameters: Any,
    consistent: bool = False,
    page_size: int | None = None,
) -> AsyncIterator[M]:
    """Every result of a statement, page after page (`NextToken`), decoded.

    Args:
        db: an open session.
        target: the model (or `Table`) the results decode to, and `{table}` names.
        statement: the statement, values only as `?` placeholders (or a `Statement`
            with its parameters).
        *parameters: one value per placeholder.
        consistent: strongly consistent reads.
        page_size: the `Limit` of each ExecuteStatement call.

    Raises:
        InvalidValue: placeholders and parameters do not match, or a value cannot be
            stored (before anything is sent).
    """
    token: str | None = None
    while True:
        page = await execute_page(
            db,
            target,
            statement,
            *parameters,
            next_token=token,
            consistent=consistent,
            limit=page_size,
        )
        for item in page.items:
            yield item
        token = page.next_token
        if token is None:
            return


async def execute(
    db: Context,
    target: Target[M],
    statement: str | Statement,
    /,
    *parameters: Any,
    consistent: bool = False,
) -> list[M]:
    """Run a statement to its end and return every result, decoded (for a write
    statement, an empty list).

    Raises:
        InvalidValue: placeholders and parameters do not match, or a value cannot be
            stored (before anything is sent).
        ConditionCheckFailed: a write's condition (or an INSERT's key) was taken.
    """
    return [
        item async for item in iterate(db, target, statement, *parameters, consistent=consistent)
    ]


# -- batches and transactions ------------------------------------------------------------------


async def batch_execute(
    db: Context,
    target: Target[M],
    statements: Sequence[Statement],
    *,
    consistent: bool = False,
) -> list[BatchResult[M]]:
    """Run up to 25 statements in one BatchExecuteStatement: reads or writes, not both.

    Each statement succeeds or fails on its own; one result per statement, in order.

    Raises:
        InvalidValue: more than 25 statements, or a statement's placeholders and
            parameters do not match (nothing is sent).
    """
    if len(statements) > MAX_BATCH_STATEMENTS:
        raise InvalidValue(
            f"a PartiQL batch holds at most {MAX_BATCH_STATEMENTS} "
            f"statements; got {len(statements)}"
        )
    resolved, table = _resolved(db, target)
    requests = [_request(statement, table) for statement in statements]
    for statement in statements:  # refuses partial SELECTs before sending
        _decoder(resolved, statement.text)
    if consistent:
        for request in requests:
            request["ConsistentRead"] = True
    answer = await db.send("BatchExecuteStatement", {"Statements": requests}, table=table)
    return [
        _batch_result(resolved, statement, response)
        for statement, response in zip(statements, answer.get("Responses", []), strict=True)
    ]


def _batch_result(
    resolved: ReadTarget | None, statement: Statement, response: Mapping[str, Any]
) -> BatchResult[Any]:
    error = response.get("Error")
    if error:
        return BatchResult(None, str(error.get("Code")), str(error.get("Message", "")))
    decoder = _decoder(resolved, statement.text)
    raw = response.get("Item")
    if raw is None or decoder is None:
        return BatchResult()
    item = decoder(raw)
    return BatchResult(None if item is SKIP else item)


async def execute_transaction(
    db: Context,
    target: Target[M],
    statements: Sequence[Statement],
    *,
    token: str | None = None,
) -> list[M | None]:
    """Run up to 100 statements as one ExecuteTransaction: all reads, or all writes,
    applied together or not at all.

    Args:
        db: an open session.
        target: the model (or `Table`) read results decode to, and `{table}` names.
        statements: the statements.
        token: the idempotency token (ClientRequestToken) of a write transaction.

    Returns:
        For reads, one entry per statement: the item decoded, or None; for writes, [].

    Raises:
        InvalidValue: more than 100 statements, or a statement's placeholders and
            parameters do not match (nothing is sent).
        TransactionCanceled: the transaction was cancelled; nothing was applied.
    """
    if len(statements) > MAX_TRANSACTION_STATEMENTS:
        raise InvalidValue(
            f"a PartiQL transaction holds at most "
            f"{MAX_TRANSACTION_STATEMENTS} statements; got {len(statements)}"
        )
    resolved, table = _resolved(db, target)
    request: dict[str, Any] = {
        "TransactStatements": [_request(statement, table) for statement in statements]
    }
    for statement in statements:  # refuses partial SELECTs before sending
        _decoder(resolved, statement.text)
    if token is not None:
        request["ClientRequestToken"] = token
    answer = await db.send("ExecuteTransaction", request, table=table)
    results: list[M | None] = []
    for statement, response in zip(statements, answer.get("Responses", []), strict=False):
        decoder = _decoder(resolved, statement.text)
        raw = response.get("Item")
        item = None if raw is None or decoder is None else decoder(raw)
        results.append(None if item is SKIP else item)
    return results
