"""test_notes.py: tests that use dynamap's fixtures, and nothing else."""

import pytest
from models import Note

seen = {}


@pytest.mark.asyncio
async def test_notes_are_stored(dynamap_tables, dynamap_bind):
    db = await dynamap_tables(Note)            # creates the Notes table for this test
    await db.put(Note(id="n1", text="hello"))
    assert (await db.get(Note, id="n1")).text == "hello"
    assert await Note.get(id="n1") is not None  # dynamap_bind: model methods see it
    seen["prefix"] = db.table_prefix


@pytest.mark.asyncio
async def test_each_test_has_tables_of_its_own(dynamap_session):
    answer = await dynamap_session.send("ListTables", {})
    leftovers = [name for name in answer["TableNames"] if name.startswith(seen["prefix"])]
    assert leftovers == []                      # the first test's tables are gone
