"""Run Video Gennie's storage end to end: `python -m examples.video_gennie`.

Starts the DynamoDB storage (which creates its table), migrates a small file storage
directory into it (one file of which is broken and ends in the rejects report), then
goes through the storage interface: save, get, update stage by stage, cleanup,
health, metrics, delete. With no DynamoDB endpoint configured it starts a local
DynamoDB for the run; with `DYNAMODB_ENDPOINT` / `AWS_ENDPOINT_URL_DYNAMODB` set, or
AWS credentials, it uses that instead.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from dynamap import utcnow
from dynamap.migrate import MigrationReport
from examples._runner import run_on_dynamodb
from examples.video_gennie.migration import migrate_file_storage, write_state_file
from examples.video_gennie.models import GenerationState, InitialParams, LanguageCode, Script
from examples.video_gennie.storage import DynamoDBStorage, StorageNotFoundError


def write_sample_files(directory: Path, count: int = 5) -> None:
    """A file storage directory as the seed's app left it, plus one broken file."""
    started = utcnow() - timedelta(hours=2)
    for number in range(count):
        state = GenerationState(
            generation_id=f"gen_{number:03d}",
            initial_params=InitialParams(prompt=f"A video about topic {number}",
                                         language=LanguageCode.ENGLISH,
                                         options={"aspectRatio": "16:9"}),
            script=Script(content=f"Topic {number} is fascinating...", mood="informative",
                          source="generated") if number % 2 == 0 else None,
            created_at=started + timedelta(minutes=number),
            updated_at=started + timedelta(minutes=number + 1),
        )
        write_state_file(directory, state)
    (directory / "gen_broken.json").write_text('{"generationId": "gen_broken", "initialPa',
                                               encoding="utf-8")


async def tour(storage: DynamoDBStorage) -> None:
    """Go through the storage interface once."""
    state = GenerationState(generation_id="gen_123", initial_params=InitialParams(
        prompt="Create a video about AI", language=LanguageCode.ENGLISH,
        options={"aspectRatio": "16:9"}))
    await storage.save(state)
    print(f"saved {state.generation_id}, expires {state.expires_at:%Y-%m-%d %H:%M}Z")
    await storage.update("gen_123", {"script": {
        "content": "AI is transforming our world...", "mood": "informative",
        "source": "generated"}})
    await storage.update("gen_123", {"audio": {"url": "s3://audio/gen_123.mp3",
                                               "durationSeconds": 42.5}})
    got = await storage.get("gen_123")
    stages = [name for name in ("script", "audio", "final_video") if getattr(got, name)]
    print(f"gen_123 has stages {stages}; audio lasts {got.audio and got.audio['durationSeconds']}s")
    removed = await storage.cleanup(timedelta(hours=1))
    print(f"cleanup(1 hour) removed {removed} migrated generation(s) older than an hour")
    print("healthy:", await storage.is_healthy())
    metrics = await storage.get_metrics()
    print("active generations:", metrics.active_generations)
    print("operations:", dict(metrics.operations))
    print("consumed capacity:", {op: round(units, 1)
                                 for op, units in sorted(metrics.consumed_capacity.items())})
    print("deleted gen_123:", await storage.delete("gen_123"))
    try:
        await storage.get("gen_123")
    except StorageNotFoundError as error:
        print("then get:", error)


async def run(storage: DynamoDBStorage, workdir: Path) -> MigrationReport:
    """Migrate a sample file storage directory, then tour the interface."""
    files = workdir / "generations"
    files.mkdir()
    write_sample_files(files)
    report = await migrate_file_storage(storage, files, rejects_path=workdir / "rejects.jsonl")
    print("migration:", "verified" if report.ok else "FAILED")
    print(report.summary())
    for problem in report["generations"].rejected:
        print(f"  rejected {problem.where}: {problem.reason}")
    await tour(storage)
    return report


async def _main() -> bool:
    async with DynamoDBStorage() as storage:
        with tempfile.TemporaryDirectory() as workdir:
            report = await run(storage, Path(workdir))
    return report.ok


def main() -> None:
    """Run on the configured DynamoDB, or on a local one started for the run."""
    run_on_dynamodb(lambda _embedded: _main())


if __name__ == "__main__":
    main()
