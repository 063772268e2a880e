"""Moving data in and out: `dynamap import` and `dynamap export`.

Import validates every row with the model before the first write, writes the valid
rows in chunks through `Session.put_many` (batched, retried, never dropped; one
`put` per item, with its unique guards, for a model with unique fields), records its
progress after each chunk for `--resume`, and puts the rows it does not write in a
rejects file with their line and the reason: rows the model refuses, lines that are
not JSON (every one of them, in one run), NULLs it will not fill (`--nulls`) and rows
whose key another row has (`--duplicates`). `--restore` writes each item exactly as
the file has it, version and timestamps included, so an export imports back as it was.

Export scans a model's items (or every model's items of a target's tables, with a
parallel scan) into JSON Lines, one `model_dump(mode="json", by_alias=True)` object per
line, which `dynamap import` reads back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import click
import orjson
from pydantic import BaseModel, ValidationError

from dynamap._compiler import compiled_of
from dynamap._declarations import Table
from dynamap._query import Scan
from dynamap._session import Session
from dynamap._tables import describe_table
from dynamap.cli.checkpoint import Checkpoint, checkpoint_path
from dynamap.cli.connection import Connection, connection_from, connection_options, open_session
from dynamap.cli.console import counter, echo, note, progress_bar
from dynamap.cli.errors import (
    EXIT_ATTENTION,
    EXIT_INTERRUPTED,
    CommandError,
    one_line,
    summarize_validation,
)
from dynamap.cli.policies import (
    DUPLICATE_CHOICES,
    NULL_CHOICES,
    DuplicateFinder,
    NullPolicy,
    NullRejected,
    Nulls,
    unknown_fields,
)
from dynamap.cli.readers import FORMATS, Format, Row, RowError, detect_format, prepare, read_rows
from dynamap.cli.targets import load_model, load_targets, model_spec
from dynamap.errors import DynamapError, InvalidStoredItem, InvalidValue
from dynamap.migrate.store import write_items

__all__ = ["export", "import_"]

#: Rows handed to `put_many` at a time; the progress file is saved after each chunk.
CHUNK_ROWS = 500


# -- import ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Validator:
    """Builds a model instance from a row, or says why it cannot."""

    model: type[BaseModel]
    renames: Sequence[tuple[str, str]]
    nulls: NullPolicy
    unknown: Counter[str] | None = None

    def __call__(self, row: Row) -> BaseModel | str:
        try:
            data = self.nulls.apply(prepare(row.data, self.renames))
            if self.unknown is not None:
                self.unknown.update(unknown_fields(self.model, data))
            instance = self.model.model_validate(data)
            compiled_of(self.model).to_item(instance)
        except ValidationError as error:
            return summarize_validation(error)
        except (RowError, InvalidValue, NullRejected) as error:
            return str(error)
        return instance


@dataclass(slots=True)
class _Survey:
    """What the validation pass found."""

    rows: int = 0
    to_write: int = 0
    rejected: int = 0
    duplicates: int = 0
    nulls: list[str] = field(default_factory=list)
    unknown: Counter[str] = field(default_factory=Counter)


@dataclass(slots=True)
class _Job:
    """One import: its input, its model, and where it has got to."""

    source: Path
    file_format: Format
    validate: _Validator
    spec: str
    rejects: Path
    concurrency: int
    resume: bool
    duplicates: str = "first"
    restore: bool = False
    dropped: set[int] = field(default_factory=set)
    progress_path: Path = field(init=False)
    checkpoint: Checkpoint | None = None
    skipped: int = 0

    def __post_init__(self) -> None:
        self.progress_path = checkpoint_path(self.source)

    def rows(self) -> Iterator[Row]:
        return read_rows(self.source, self.file_format)


@click.command("import")
@click.argument("model", metavar="MODEL")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@connection_options
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default="auto",
    show_default=True,
    help="The file's format; auto goes by suffix and content.",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="OLD=NEW",
    help="Rename a field of the file before validation (repeatable), e.g. _id=id.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where rows the model refuses go [default: FILE.rejects.jsonl].",
)
@click.option(
    "--resume", is_flag=True, help="Skip the rows an interrupted import of FILE already wrote."
)
@click.option(
    "--concurrency",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Batch writes in flight at once.",
)
@click.option(
    "--nulls",
    type=click.Choice(NULL_CHOICES),
    default="absent",
    show_default=True,
    help="NULL cells: absent (a constant default applies; a default made at "
    "import time rejects the row), default (any model default), keep (None).",
)
@click.option(
    "--duplicates",
    type=click.Choice(DUPLICATE_CHOICES),
    default="first",
    show_default=True,
    help="Rows with the same key: keep the first, the last, or reject them all.",
)
@click.option(
    "--restore",
    is_flag=True,
    help="Write items exactly as the file has them (version and timestamps "
    "kept), e.g. to load a `dynamap export`.",
)
def import_(
    model: str,
    file: Path,
    file_format: str,
    mappings: tuple[str, ...],
    rejects: Path | None,
    resume: bool,
    concurrency: int,
    nulls: Nulls,
    duplicates: str,
    restore: bool,
    **options: Any,
) -> None:
    """Import a JSON, JSON Lines or CSV file as MODEL items.

    MODEL is module:Class. FILE is a JSON array, JSON Lines (mongoexport's extended
    JSON included) or CSV with a header row. Every row is validated by the model
    before anything is written; rows it refuses go to the rejects file with their
    line and the reason, and make the exit code 1.
    """
    connection = connection_from(options)
    model_class = load_model(model)
    if restore:
        _check_restorable(model_class)
    job = _Job(
        source=file,
        file_format=detect_format(file, file_format),
        validate=_Validator(model_class, _renames(mappings), NullPolicy(model_class, nulls)),
        spec=model_spec(model_class),
        rejects=rejects or file.with_name(file.name + ".rejects.jsonl"),
        concurrency=concurrency,
        resume=resume,
        duplicates=duplicates,
        restore=restore,
    )
    job.checkpoint = _saved_progress(job)
    survey = _survey(job)
    try:
        written, elapsed = asyncio.run(_import(connection, job, survey))
    except KeyboardInterrupt:
        raise CommandError(_interrupted(job), exit_code=EXIT_INTERRUPTED) from None
    _summarize(job, survey, written, elapsed)
    if survey.rejected or survey.duplicates:
        raise click.exceptions.Exit(EXIT_ATTENTION)


def _check_restorable(model: type[BaseModel]) -> None:
    options = compiled_of(model).options
    managed = [name for name in (options.version, options.created, options.updated) if name]
    if options.unique and managed:
        raise CommandError(
            f"{model.__name__} declares unique fields ({', '.join(options.unique)}) and "
            f"fields dynamap maintains ({', '.join(managed)}): each item is written with "
            "`put` for its unique guards, which maintains those, so --restore cannot keep "
            "them as the file has them"
        )


def _renames(mappings: Sequence[str]) -> list[tuple[str, str]]:
    renames = []
    for mapping in mappings:
        old, _, new = mapping.partition("=")
        if not old.strip() or not new.strip():
            raise click.BadParameter(f"{mapping!r} is not OLD=NEW", param_hint="--map")
        renames.append((old.strip(), new.strip()))
    return renames


def _saved_progress(job: _Job) -> Checkpoint | None:
    if not job.resume:
        if job.progress_path.exists():
            note(
                f"note: {job.progress_path} records an interrupted import; starting over "
                "(pass --resume to continue it instead)"
            )
        return None
    saved = Checkpoint.load(job.progress_path)
    if saved is None:
        note(f"note: no progress file {job.progress_path}; importing from the first row")
    return saved


def _survey(job: _Job) -> _Survey:
    """Validate every row (the rejects file gets the refused ones) before any write."""
    survey = _Survey()
    skip = job.checkpoint.rows if job.checkpoint else 0
    finder = DuplicateFinder(job.validate.model, job.duplicates)
    valid: dict[int, Row] = {}
    job.validate.unknown = survey.unknown
    with _rejects_file(job.rejects) as rejects, counter("rows") as bar:
        task = bar.add_task("validating", total=None)
        for row in job.rows():
            survey.rows += 1
            outcome = job.validate(row)
            if isinstance(outcome, str):
                survey.rejected += 1
                rejects.write(_reject_line(row, outcome))
            else:
                reason = finder.add(row.number, row.line, outcome)
                if reason is None:
                    valid[row.number] = row
                else:
                    finder.dropped[row.number] = reason
                    valid[row.number] = row
            bar.advance(task)
        for number, reason in sorted(finder.dropped.items()):
            rejects.write(_reject_line(valid[number], f"duplicate: {reason}"))
    job.dropped = set(finder.dropped)
    survey.duplicates = len(job.dropped)
    survey.to_write = sum(1 for number in valid if number > skip and number not in job.dropped)
    survey.nulls = job.validate.nulls.lines()
    job.validate.unknown = None  # counted once, in this pass
    if not survey.rejected and not survey.duplicates:
        job.rejects.unlink(missing_ok=True)
    return survey


@contextlib.contextmanager
def _rejects_file(path: Path) -> Iterator[IO[bytes]]:
    """The rejects file, written afresh; removed again if the validation pass fails."""
    try:
        with path.open("wb") as stream:
            yield stream
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _reject_line(row: Row, reason: str) -> bytes:
    record = {"line": row.line, "row": row.data, "reason": reason}
    return orjson.dumps(record, default=str) + b"\n"


async def _import(connection: Connection, job: _Job, survey: _Survey) -> tuple[int, float]:
    """Write the valid rows; the number written and the seconds the writing took."""
    async with open_session(connection) as db:
        table = db.table_name(job.validate.model)
        await _require_table(db, table)
        if job.checkpoint is not None:
            job.checkpoint.check(job.progress_path, job.spec, table)
        else:
            job.checkpoint = Checkpoint(job.spec, table)
        job.skipped = job.checkpoint.written
        started = time.monotonic()
        with progress_bar("rows") as bar:
            task = bar.add_task(f"importing into {table}", total=survey.to_write)
            await _write_rows(db, job, job.checkpoint, lambda n: bar.advance(task, n))
        elapsed = time.monotonic() - started
    job.progress_path.unlink(missing_ok=True)
    return job.checkpoint.written - job.skipped, elapsed


async def _require_table(db: Session, table: str) -> None:
    if await describe_table(db.transport, table) is None:
        raise CommandError(
            f"table {table} does not exist; create it first with `dynamap create-tables "
            "TARGET` (with the same --prefix)"
        )


async def _write_rows(
    db: Session, job: _Job, checkpoint: Checkpoint, advance: Callable[[int], object]
) -> None:
    chunk: list[BaseModel] = []
    done = checkpoint.rows
    for row in job.rows():
        if row.number <= checkpoint.rows:
            continue
        outcome = job.validate(row)
        if not isinstance(outcome, str) and row.number not in job.dropped:
            chunk.append(outcome)
        done = row.number
        if len(chunk) >= CHUNK_ROWS:
            await _flush(db, job, checkpoint, chunk, done, advance)
            chunk = []
    await _flush(db, job, checkpoint, chunk, done, advance)


async def _flush(
    db: Session,
    job: _Job,
    checkpoint: Checkpoint,
    chunk: list[BaseModel],
    done: int,
    advance: Callable[[int], object],
) -> None:
    if chunk:
        try:
            await _write_chunk(db, job, chunk)
        except DynamapError as error:
            raise CommandError(f"{one_line(error)}; {_resume_hint(job)}") from error
    checkpoint.rows = done
    checkpoint.written += len(chunk)
    checkpoint.save(job.progress_path)
    advance(len(chunk))


async def _write_chunk(db: Session, job: _Job, chunk: list[BaseModel]) -> None:
    """Write one chunk: `put` per item for unique fields (their guards), raw items for
    `--restore` (nothing maintained), else batched puts."""
    compiled = compiled_of(job.validate.model)
    if compiled.options.unique:
        slots = asyncio.Semaphore(job.concurrency)

        async def put(instance: BaseModel) -> None:
            async with slots:
                await db.put(instance)

        await asyncio.gather(*(put(instance) for instance in chunk))
    elif job.restore:
        table = db.table_name(job.validate.model)
        await write_items(
            db, table, [compiled.to_item(item) for item in chunk], concurrency=job.concurrency
        )
    else:
        await db.put_many(chunk, concurrency=job.concurrency)


def _resume_hint(job: _Job) -> str:
    written = job.checkpoint.written if job.checkpoint else 0
    return (
        f"{written:,} rows are written; run the same command with --resume to continue after them"
    )


def _interrupted(job: _Job) -> str:
    return f"interrupted; {_resume_hint(job)}"


def _summarize(job: _Job, survey: _Survey, written: int, elapsed: float) -> None:
    table = job.checkpoint.table if job.checkpoint else "?"
    rate = f", {written / elapsed:,.0f} rows/s" if elapsed > 0 and written else ""
    echo(f"imported {written:,} rows into {table} as {job.spec} ({elapsed:.1f} s{rate})")
    if job.skipped:
        echo(f"skipped {job.skipped:,} rows written by the interrupted import (--resume)")
    if survey.rejected:
        echo(f"rejected {survey.rejected:,} of {survey.rows:,} rows: see {job.rejects}")
    if survey.duplicates:
        echo(
            f"duplicates: {survey.duplicates:,} rows share a key with another row and were "
            f"not written (--duplicates {job.duplicates}): see {job.rejects}"
        )
    if survey.unknown:
        echo("not imported, the model has no such field:")
    for name, count in sorted(survey.unknown.items()):
        echo(f"  {name}: {count:,} rows")
    if survey.nulls:
        echo("NULLs filled with the model's default (--nulls):")
    for line in survey.nulls:
        echo(line)


# -- export ---------------------------------------------------------------------------


@click.command("export")
@click.argument("target", metavar="TARGET|MODEL")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="The .jsonl file to write; a directory when the target has several "
    "models (one MODEL.jsonl each).",
)
@click.option(
    "--segments",
    default=4,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Parallel scan segments.",
)
@click.option(
    "--invalid",
    type=click.Choice(["fail", "skip"]),
    default="fail",
    show_default=True,
    help="Stored items that no longer fit their model: stop the export (fail), "
    "or leave them out and list them in OUT.invalid.jsonl (skip).",
)
@connection_options
def export(target: str, out: Path, segments: int, invalid: str, **options: Any) -> None:
    """Export items to JSON Lines (readable by import).

    TARGET|MODEL is a module or file (every model of its tables) or module:Class
    (that model's items only). The table is read with a parallel scan.
    """
    connection = connection_from(options)
    plan = _export_plan(target, out)
    misfits: list[InvalidStoredItem] = []
    counts = asyncio.run(
        _export(connection, plan, segments, misfits if invalid == "skip" else None)
    )
    for model, path in plan.files.items():
        echo(f"exported {counts.get(model, 0):,} {model.__name__} items to {path}")
    if counts.get(None):
        note(f"note: skipped {counts[None]:,} items of entities no model declares")
    if misfits:
        listing = _write_misfits(out, misfits)
        note(
            f"note: left out {len(misfits):,} stored items that do not fit their model; "
            f"their keys and errors are in {listing}"
        )
    for model, path in plan.files.items():
        if counts.get(model):
            echo(f"  import them with: dynamap import {model_spec(model)} {path} --restore")


@dataclass(frozen=True, slots=True)
class _ExportPlan:
    """Which tables to scan and which file each model's items go to."""

    tables: tuple[Table, ...]
    files: dict[type[Any], Path]
    whole_tables: bool


def _export_plan(target: str, out: Path) -> _ExportPlan:
    if _is_model_spec(target):
        model = load_model(target)
        table = compiled_of(model).table
        return _ExportPlan((table,), {model: out}, whole_tables=False)
    tables = load_targets([target]).tables
    models = [compiled.model for table in tables for compiled in table.compiled]
    if len(models) == 1:
        return _ExportPlan(tables, {models[0]: out}, whole_tables=True)
    if out.exists() and not out.is_dir():
        raise CommandError(
            f"{target} has {len(models)} models, so --out must be a directory (one "
            f".jsonl per model), and {out} is a file"
        )
    names = [model.__name__ for model in models]
    clash = sorted({name for name in names if names.count(name) > 1})
    if clash:
        raise CommandError(
            f"several models are named {', '.join(clash)}; export each as module:Class"
        )
    return _ExportPlan(tables, {m: out / f"{m.__name__}.jsonl" for m in models}, True)


def _is_model_spec(target: str) -> bool:
    head, _, name = target.rpartition(":")
    return bool(head) and name.isidentifier()


async def _export(
    connection: Connection,
    plan: _ExportPlan,
    segments: int,
    misfits: list[InvalidStoredItem] | None,
) -> dict[type[Any] | None, int]:
    """Scan and write every item; with `misfits`, items that do not fit their model are
    left out and collected there instead of stopping the export."""
    counts: dict[type[Any] | None, int] = {}
    async with open_session(connection) as db:
        for table in plan.tables:
            await _require_table(db, db.table_name(table))
        with _Writers(plan.files) as writers, counter("items") as bar:
            for table in plan.tables:
                task = bar.add_task(f"exporting {db.table_name(table)}", total=None)
                scan = _scan(db, plan, table, segments)
                if misfits is not None:
                    scan = scan.on_invalid("skip")
                async for item in scan:
                    kind = type(item) if isinstance(item, BaseModel) else None
                    counts[kind] = counts.get(kind, 0) + 1
                    if kind is not None:
                        writers.write(item)
                    bar.advance(task)
                if misfits is not None:
                    misfits.extend(scan.invalid)
    return counts


def _write_misfits(out: Path, misfits: list[InvalidStoredItem]) -> Path:
    name = "invalid.jsonl" if out.is_dir() else f"{out.name}.invalid.jsonl"
    listing = out / name if out.is_dir() else out.with_name(name)
    with listing.open("wb") as stream:
        for error in misfits:
            stream.write(
                orjson.dumps(
                    {
                        "model": error.model,
                        "table": error.table,
                        "key": error.key,
                        "fields": error.fields,
                        "error": str(error),
                    }
                )
                + b"\n"
            )
    return listing


def _scan(db: Session, plan: _ExportPlan, table: Table, segments: int) -> Scan[Any]:
    if plan.whole_tables:
        return db.scan(table).unknown("raw").segments(segments)
    (model,) = plan.files
    return db.scan(model).segments(segments)


class _Writers:
    """One JSON Lines file per model, each written under a temporary name and renamed
    into place only when the whole export succeeded."""

    def __init__(self, files: dict[type[Any], Path]) -> None:
        self.files = files
        self.streams: dict[type[Any], IO[bytes]] = {}

    def __enter__(self) -> _Writers:
        for model, path in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            self.streams[model] = _partial(path).open("wb")
        return self

    def write(self, item: BaseModel) -> None:
        data = item.model_dump(mode="json", by_alias=True)
        self.streams[type(item)].write(orjson.dumps(data) + b"\n")

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        for stream in self.streams.values():
            stream.close()
        for path in self.files.values():
            if exc_type is None:
                os.replace(_partial(path), path)
            else:
                _partial(path).unlink(missing_ok=True)


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")
