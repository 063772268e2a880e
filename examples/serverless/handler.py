"""The page manager on AWS Lambda: an HTTP API function and a DynamoDB Streams one.

`api` serves `GET /pages/{id}` and `POST /pages` behind API Gateway (HTTP API, payload
2.0); `on_change` is subscribed to the table's stream (NEW_AND_OLD_IMAGES, with
`ReportBatchItemFailures`) and deletes a page's nodes when the page is deleted.

Both are sync functions, as Lambda calls them, made from async ones by one
`LambdaRunner`: the session opened on the first invocation serves every warm one.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from dynamap import current_session
from dynamap.aws_lambda import LambdaRunner
from dynamap.streams import BatchItemFailures, Change, handle_batch
from examples.page_manager.models import Node, Page, page_manager

runner = LambdaRunner()  # module level: once per container, reused while it is warm


@runner.handler
async def api(event: dict[str, Any], context: object) -> dict[str, Any]:
    """API Gateway's handler: `GET /pages/{id}` and `POST /pages`."""
    if event["requestContext"]["http"]["method"] == "POST":
        body = json.loads(event.get("body") or "{}")
        page = await Page(title=body["title"]).save()
        return _answer(201, page.model_dump(mode="json", by_alias=True))
    found = await Page.get(id=event["pathParameters"]["id"])
    if found is None:
        return _answer(404, {"detail": "not found"})
    return _answer(200, found.model_dump(mode="json", by_alias=True))


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": json.dumps(body)}


@runner.handler
async def on_change(event: dict[str, Any], context: object) -> BatchItemFailures:
    """The stream's handler: a failed record is reported, and retried from, alone."""
    return await handle_batch(event, page_manager, _cascade)


async def _cascade(change: Change[BaseModel]) -> None:
    if change.event == "REMOVE" and isinstance(change.old, Page):
        db = current_session()
        nodes = await db.query(Node, index=Node.by_page, page_id=change.old.id).all()
        await db.delete_many(nodes)
