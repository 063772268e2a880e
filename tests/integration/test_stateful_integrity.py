"""Random sequences of ordinary calls, checked against an oracle after every step.

A hypothesis state machine drives puts, gets, projected reads (and attempts to save
them back), valid and invalid updates, deletes, index queries and collection queries
against a real engine. After every step the whole table is read back with boto3's
low-level client (not through dynamap) and compared with an in-memory oracle of what
must be stored: the fields, and the key, entity and index attributes computed here
independently of dynamap's own key code. A call that must be refused must leave the
table exactly as it was.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from pydantic import Field

from dynamap import (
    GSI,
    InvalidUpdate,
    Key,
    Model,
    Partial,
    PartialItem,
    Session,
    Table,
)
from dynamap.local import LocalDynamoDB

pytestmark = pytest.mark.integration

notebook = Table("StatefulNotes")


class Owner(Model, table=notebook, entity="owner"):
    pk = Key("OWNER#{owner}")
    sk = Key("META#")

    owner: str
    name: str


class Note(Model, table=notebook, entity="note"):
    pk = Key("OWNER#{owner}")
    sk = Key("NOTE#{id}")
    by_tag = GSI("ByTag", pk="TAG#{tag}", sk="title", projection="INCLUDE", include=["views"])

    owner: str
    id: str
    title: str
    tag: str | None = None
    views: int = 0
    labels: list[str] = Field(default_factory=list)


# Owners that an escaping bug would confuse: "a#b" and the escaped form of it, "a%23b".
OWNERS = st.sampled_from(["a", "a#b", "a%23b", "b"])
IDS = st.sampled_from(["1", "2", "3#x"])
TEXT = st.text(alphabet="abcXY #%é", min_size=1, max_size=8)
TAGS = st.sampled_from([None, "x", "y#z"])
LABELS = st.lists(st.sampled_from(["p", "q", "r"]), max_size=3)

BAD_UPDATES: list[dict[str, Any]] = [
    {"set": {"titel": "typo"}},                       # no such field
    {"set": {"title": None}},                         # a required field
    {"remove": ["title"]},
    {"set": {"owner": "someone else"}},               # the primary key
    {"set": {"entity": "owner"}},                     # the entity attribute
    {"set": {"ByTagPK": "TAG#other"}},                # an index key attribute
    {"set": {"views": "many"}},                       # the wrong type
    {"append": {"title": ["x"]}},                     # append on a str
    {"add": {"labels": 1}},                           # add on a list
]


def escape(value: str) -> str:
    """Key segment escaping, written out here rather than taken from dynamap."""
    return value.replace("%", "%25").replace("#", "%23")


def expected_note(fields: dict[str, Any]) -> dict[str, Any]:
    """The attributes a stored note must have, as boto3 reads them back."""
    item: dict[str, Any] = {
        "PK": f"OWNER#{escape(fields['owner'])}", "SK": f"NOTE#{escape(fields['id'])}",
        "entity": "note", "owner": fields["owner"], "id": fields["id"],
        "title": fields["title"], "views": Decimal(fields["views"]),
        "labels": list(fields["labels"]),
    }
    if fields["tag"] is not None:
        item["tag"] = fields["tag"]
        item["ByTagPK"] = f"TAG#{escape(fields['tag'])}"
    return item


def expected_owner(owner: str, name: str) -> dict[str, Any]:
    return {"PK": f"OWNER#{escape(owner)}", "SK": "META#", "entity": "owner",
            "owner": owner, "name": name}


class Integrity(RuleBasedStateMachine):
    """The state machine; `endpoint` is set by the test before each run."""

    endpoint = ""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.prefix = f"sm{uuid.uuid4().hex[:8]}-"
        self.db = Session(endpoint_url=self.endpoint, region="us-east-1",
                          aws_access_key_id="x", aws_secret_access_key="x",
                          table_prefix=self.prefix, coalesce_gets=False)
        self.run(self.db.open())
        self.run(self.db.create_tables(notebook))
        self.client = boto3.client("dynamodb", endpoint_url=self.endpoint,
                                   region_name="us-east-1", aws_access_key_id="x",
                                   aws_secret_access_key="x")
        self.notes: dict[tuple[str, str], dict[str, Any]] = {}
        self.owners: dict[str, str] = {}

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def teardown(self) -> None:
        self.run(self.db.drop_tables(notebook))
        self.run(self.db.close())
        self.loop.close()

    # -- writes ---------------------------------------------------------------------

    @rule(owner=OWNERS, id=IDS, title=TEXT, tag=TAGS, views=st.integers(0, 5), labels=LABELS)
    def put(self, owner: str, id: str, title: str, tag: str | None, views: int,
            labels: list[str]) -> None:
        fields = {"owner": owner, "id": id, "title": title, "tag": tag, "views": views,
                  "labels": labels}
        self.run(self.db.put(Note(**fields)))
        self.notes[(owner, id)] = fields

    @rule(owner=OWNERS, name=TEXT)
    def put_owner(self, owner: str, name: str) -> None:
        self.run(self.db.put(Owner(owner=owner, name=name)))
        self.owners[owner] = name

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), title=TEXT, tag=TAGS, add=st.integers(1, 3), labels=LABELS)
    def update(self, data: st.DataObject, title: str, tag: str | None, add: int,
               labels: list[str]) -> None:
        key = data.draw(st.sampled_from(sorted(self.notes)))
        note = self.run(self.db.get(Note, owner=key[0], id=key[1]))
        changes: dict[str, Any] = {"set": {"title": title, "tag": tag}, "add": {"views": add}}
        if labels:
            changes["append"] = {"labels": labels}
        self.run(self.db.update(note, **changes))
        expected = self.notes[key]
        expected.update(title=title, tag=tag, views=expected["views"] + add,
                        labels=expected["labels"] + labels)
        assert {name: getattr(note, name) for name in expected} == expected  # refreshed

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), bad=st.sampled_from(BAD_UPDATES))
    def refused_update(self, data: st.DataObject, bad: dict[str, Any]) -> None:
        key = data.draw(st.sampled_from(sorted(self.notes)))
        note = self.run(self.db.get(Note, owner=key[0], id=key[1]))
        with pytest.raises(InvalidUpdate):
            self.run(self.db.update(note, **bad))

    @precondition(lambda self: self.notes)
    @rule(data=st.data(), title=TEXT)
    def projected_read_then_save(self, data: st.DataObject, title: str) -> None:
        key = data.draw(st.sampled_from(sorted(self.notes)))
        partial = self.run(self.db.get(Note, owner=key[0], id=key[1], fields=["title"]))
        assert isinstance(partial, Partial)
        assert partial.to_dict() == {"owner": key[0], "id": key[1],
                                     "title": self.notes[key]["title"]}
        with pytest.raises(PartialItem):
            self.run(self.db.put(partial))
        self.run(self.db.update(partial, set={"title": title}))
        self.notes[key]["title"] = title

    @rule(owner=OWNERS, id=IDS)
    def delete(self, owner: str, id: str) -> None:
        deleted = self.run(self.db.delete(Note, owner=owner, id=id))
        existed = self.notes.pop((owner, id), None)
        assert (deleted is None) == (existed is None)

    # -- reads ----------------------------------------------------------------------

    @rule(owner=OWNERS, id=IDS)
    def get(self, owner: str, id: str) -> None:
        note = self.run(self.db.get(Note, owner=owner, id=id, consistent=True))
        expected = self.notes.get((owner, id))
        assert (None if note is None else note.model_dump()) == expected

    @rule(tag=st.sampled_from(["x", "y#z"]))
    def query_by_index(self, tag: str) -> None:
        found = self.run(self.db.query(Note, index=Note.by_tag, tag=tag).partial().all())
        got = sorted((n.owner, n.id, n.title, n.views) for n in found)
        # GSIs are eventually consistent in DynamoDB; the local engines apply them at once
        want = sorted((f["owner"], f["id"], f["title"], f["views"])
                      for f in self.notes.values() if f["tag"] == tag)
        assert got == want

    @rule(owner=OWNERS)
    def collection(self, owner: str) -> None:
        items = self.run(self.db.query(notebook, Owner, owner=owner).consistent().all())
        notes = sorted(i.id for i in items if isinstance(i, Note))
        assert notes == sorted(id for (o, id) in self.notes if o == owner)
        owners = [i.name for i in items if isinstance(i, Owner)]
        assert owners == ([self.owners[owner]] if owner in self.owners else [])

    # -- the truth -------------------------------------------------------------------

    @invariant()
    def table_matches_the_oracle(self) -> None:
        stored = self.scan()
        expected = [expected_note(f) for f in self.notes.values()]
        expected += [expected_owner(o, n) for o, n in self.owners.items()]
        assert sorted(stored, key=_key) == sorted(expected, key=_key)

    def scan(self) -> list[dict[str, Any]]:
        deserialize = TypeDeserializer().deserialize
        items, start = [], None
        while True:
            request: dict[str, Any] = {"TableName": f"{self.prefix}StatefulNotes",
                                       "ConsistentRead": True}
            if start:
                request["ExclusiveStartKey"] = start
            answer = self.client.scan(**request)
            items += [{k: deserialize(v) for k, v in item.items()} for item in answer["Items"]]
            start = answer.get("LastEvaluatedKey")
            if not start:
                return items


def _key(item: dict[str, Any]) -> tuple[str, str]:
    return item["PK"], item["SK"]


def test_random_call_sequences_keep_the_table_equal_to_the_oracle(
    server: LocalDynamoDB,
) -> None:
    Integrity.endpoint = server.endpoint_url
    run_state_machine_as_test(Integrity, settings=settings(
        max_examples=15, stateful_step_count=25, deadline=None,
        suppress_health_check=list(HealthCheck)))
