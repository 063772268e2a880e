"""Query results in notebooks: `await query.to_pandas()` and pages that render."""

from __future__ import annotations

import sys

import pytest
from pydantic import Field

from dynamap import Key, Model, RequestEvent, Session, Table, new_id

garden = Table("Garden")


class Plant(Model, table=garden, entity="plant"):
    pk = Key("BED#{bed}")
    sk = Key("PLANT#{name}")

    id: str = Field(default_factory=new_id)
    bed: str
    name: str
    height_cm: int = 0


class Bed(Model, table=garden, entity="bed"):
    pk = Key("BED#{bed}")
    sk = Key("META#")

    bed: str
    sunny: bool = True


async def test_a_query_becomes_a_dataframe(db: Session) -> None:
    await db.create_tables(Plant, Bed)
    for name, height in (("basil", 30), ("mint", 20), ("thyme", 15)):
        await db.put(Plant(bed="north", name=name, height_cm=height))
    frame = await db.query(Plant, bed="north").to_pandas()
    assert frame["name"].tolist() == ["basil", "mint", "thyme"]
    assert int(frame["height_cm"].sum()) == 65
    limited = await db.query(Plant, bed="north").reverse().limit(2).to_pandas()
    assert limited["name"].tolist() == ["thyme", "mint"]


async def test_a_collection_query_becomes_a_dataframe_with_a_model_column(db: Session) -> None:
    await db.create_tables(Plant, Bed)
    await db.put(Bed(bed="south"))
    await db.put(Plant(bed="south", name="sage"))
    frame = await db.query(garden, raw_pk="BED#south").to_pandas()
    assert frame["model"].tolist() == ["Bed", "Plant"]
    page = await db.query(garden, raw_pk="BED#south").limit(1).page()
    assert "<caption>Page: 1 item, more after the cursor</caption>" in page._repr_html_()


async def test_without_pandas_nothing_is_sent(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[RequestEvent] = []
    db.on_request(sent.append)
    monkeypatch.setitem(sys.modules, "pandas", None)  # what an absent package looks like
    with pytest.raises(ImportError, match="dynamap\\[pandas\\]"):
        await db.query(Plant, bed="north").to_pandas()
    assert sent == []
