"""Run by `test_migrate_run.py` as a process of its own: migrate a dump, and kill this
process with SIGKILL right after the sixth BatchWriteItem, in the middle of the second
chunk of 100 (four batches of 25 each, written concurrently), as a crash would."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from test_migrate_run import Person, people_entity

from dynamap import Session
from dynamap.migrate import migrate, run, store

written = 0
original = store._write_chunk


async def write_then_die(db: Session, table: str, items: Sequence[dict[str, Any]]) -> None:
    global written
    await original(db, table, items)
    written += 1
    if written == 6:
        os.kill(os.getpid(), signal.SIGKILL)


async def main(path: Path) -> None:
    run.CHUNK = 100
    store._write_chunk = write_then_die
    async with Session() as db:
        await db.create_tables(Person)
        await migrate(db, [people_entity(path)])


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
