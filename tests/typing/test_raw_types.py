"""Static types of `Session.get(..., raw=...)`, checked by `mypy --strict dynamap tests/typing`."""

from __future__ import annotations

from typing import Any, assert_type

from dynamap import Key, Model, Session, Table


class Memo(Model, table=Table("TypedMemos")):
    pk = Key("MEMO#{id}")

    id: str
    text: str = ""


async def check_raw_get(db: Session) -> None:
    assert_type(await db.get(Memo, id="m"), Memo | None)
    assert_type(await db.get(Memo, id="m", raw=False), Memo | None)
    assert_type(await db.get(Memo, id="m", raw=True), dict[str, Any] | None)
    assert_type(await db.get(Memo, id="m", fields=["text"], raw=True), dict[str, Any] | None)
