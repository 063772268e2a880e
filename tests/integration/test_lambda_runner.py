"""`LambdaRunner` as Lambda's runtime drives it: sync calls, one after another, with no
event loop running in between (these tests are sync, as the runtime is)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from models import Page

from dynamap import ConnectionFailed, Session
from dynamap._session import current_session
from dynamap.aws_lambda import LambdaRunner
from dynamap.local import LocalDynamoDB

pytestmark = pytest.mark.integration


@pytest.fixture
def runner(server: LocalDynamoDB) -> Iterator[LambdaRunner]:
    def factory() -> Session:
        return Session(endpoint_url=server.endpoint_url, region="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local",
                       table_prefix="lambda-runner-")

    made = LambdaRunner(factory)
    yield made
    made.close()


def test_one_session_serves_every_warm_invocation(runner: LambdaRunner) -> None:
    @runner.handler
    async def handler(event: dict[str, str], context: object) -> tuple[int, str | None]:
        db = current_session()
        await db.create_tables(Page)
        page = await Page(id=event["id"], title=event["title"]).save()
        found = await Page.get(id=page.id)
        return id(db), None if found is None else found.title

    first = handler({"id": "a", "title": "A"}, None)
    second = handler({"id": "b", "title": "B"}, None)
    assert first[1] == "A" and second[1] == "B"
    assert first[0] == second[0] == id(runner.session)
    assert runner.invocations == 2
    session = runner.session
    assert session is not None
    assert session.stats.requests["PutItem"] == 2  # one session counted both calls
    runner.run(session.drop_tables(Page))


def test_a_failing_invocation_keeps_the_session(runner: LambdaRunner) -> None:
    async def boom() -> None:
        current_session()
        raise ValueError("bad event")

    with pytest.raises(ValueError, match="bad event"):
        runner.run(boom())
    kept = runner.session
    with pytest.raises(ValueError):
        runner.run(boom())
    assert runner.session is kept and kept is not None and kept.state == "open"


def test_a_closed_session_is_opened_afresh(runner: LambdaRunner) -> None:
    async def which() -> Session:
        return current_session()

    first = runner.run(which())
    runner.run(first.close())
    second = runner.run(which())
    assert second is not first and second.state == "open"


def test_a_session_that_cannot_open_fails_the_invocation_cleanly() -> None:
    def unreachable() -> Session:
        return Session(endpoint_url="http://127.0.0.1:9", region="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")

    class Broken(Session):
        async def open(self) -> Session:  # type: ignore[override]
            raise ConnectionFailed("no network", code="ConnectionError")

    runner = LambdaRunner(lambda: Broken())
    try:
        async def work() -> int:
            return 1

        with pytest.raises(ConnectionFailed):
            runner.run(work())  # and the coroutine is closed, never left unawaited
        assert runner.session is None
        runner.factory = unreachable
        assert runner.run(work()) == 1  # opening needs no request; the next call works
    finally:
        runner.close()
