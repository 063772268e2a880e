"""Tests for dynamap._compiler (and the table merge it feeds): key templates and bare
keys, indexes, sparse index keys, the entity attribute, options, aliases, items, and
every definition error with the class, the field and the fix in its message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from typing import Literal
from uuid import UUID

import pytest
from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_camel

from dynamap import (
    GSI,
    LSI,
    DefinitionError,
    EpochSeconds,
    InvalidKey,
    ItemTooLarge,
    Key,
    Model,
    NumericBool,
    Table,
)
from dynamap._compiler import key_shape
from dynamap._tables import schema_of

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=UTC)


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Rank(IntEnum):
    LOW = 1
    HIGH = 2


class Mixed(Enum):
    TEXT = "t"
    NUMBER = 2


def fails(build: Callable[[], object], code: str, *parts: str) -> str:
    """Assert that `build` raises a DefinitionError with `code` whose message holds
    every one of `parts` (the class, the field, the fix); return the message."""
    with pytest.raises(DefinitionError) as caught:
        build()
    error = caught.value
    assert isinstance(error, TypeError)
    assert error.code == code, str(error)
    message = str(error)
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    assert f"#{code}" in message  # the docs anchor
    return message


# -- key templates and bare-field keys --------------------------------------------------


def test_templates_name_fields_and_constants_name_none() -> None:
    class Conversation(Model, table=Table("chat")):
        pk = Key("USER#{user_id}")
        sk = Key("CONV#{created_at}#{id}")
        user_id: str
        created_at: datetime
        id: str

    compiled = Conversation.__dynamap__
    assert compiled.pk.fields == ("user_id",)
    assert compiled.sk is not None and compiled.sk.fields == ("created_at", "id")
    assert compiled.key_fields == {"user_id", "created_at", "id"}
    item = Conversation(user_id="u1", created_at=NOW, id="c1").to_item()
    assert item["PK"] == {"S": "USER#u1"}
    assert item["SK"] == {"S": "CONV#2024-03-15T12:00:00.000000Z#c1"}
    assert compiled.sk.template is not None
    assert compiled.sk.template.parse(item["SK"]["S"]) == {"created_at": NOW, "id": "c1"}


def test_template_segments_are_escaped_in_items() -> None:
    class Tag(Model, table=Table("tags")):
        pk = Key("TAG#{name}")
        name: str

    assert Tag(name="a#b%c").to_item()["PK"] == {"S": "TAG#a%23b%25c"}


def test_key_types_follow_the_field_annotation_in_templates() -> None:
    class Event(Model, table=Table("events")):
        pk = Key("DAY#{day}")
        sk = Key("AT#{seq}#{colour}#{ref}")
        day: date
        seq: int
        colour: Colour
        ref: UUID

    ref = UUID("12345678-1234-5678-1234-567812345678")
    item = Event(day=date(2024, 3, 15), seq=-5, colour=Colour.RED, ref=ref).to_item()
    assert item["PK"] == {"S": "DAY#2024-03-15"}
    assert item["SK"] == {"S": f"AT#-{10**20 - 5:020d}#red#{ref}"}


@pytest.mark.parametrize(
    ("annotation", "value", "scalar", "stored"),
    [
        (str, "a", "S", {"S": "a"}),
        (int, 7, "N", {"N": "7"}),
        (Decimal, Decimal("1.50"), "N", {"N": "1.50"}),
        (bytes, b"\x00\x01", "B", {"B": "AAE="}),
        (UUID, UUID(int=1), "S", {"S": "00000000-0000-0000-0000-000000000001"}),
        (datetime, NOW, "S", {"S": "2024-03-15T12:00:00.000000Z"}),
        (date, date(2024, 3, 15), "S", {"S": "2024-03-15"}),
        (EpochSeconds, NOW, "N", {"N": str(int(NOW.timestamp()))}),
        (NumericBool, True, "N", {"N": "1"}),
        (Colour, Colour.BLUE, "S", {"S": "blue"}),
        (Rank, Rank.HIGH, "N", {"N": "2"}),
        (Literal["x", "y"], "y", "S", {"S": "y"}),
        (int | None, 3, "N", {"N": "3"}),
    ],
)
def test_a_bare_field_key_is_stored_as_its_own_type(
    annotation: object, value: object, scalar: str, stored: dict[str, object]
) -> None:
    model = type(
        "Thing",
        (Model,),
        {"__annotations__": {"key": annotation}, "pk": Key("key")},
        table=Table("things"),
    )
    compiled = model.__dynamap__
    assert (compiled.pk.attribute, compiled.pk.type) == ("key", scalar)
    assert compiled.pk.written_by_codec
    item = model(key=value).to_item()
    assert item["key"] == stored
    assert set(item) == {"key", "entity"}  # written once, by the codec
    assert schema_of(compiled.table).pk.type == scalar
    assert model.from_item(item).key == value  # type: ignore[attr-defined]


def test_a_bare_key_stored_under_an_explicit_table_attribute() -> None:
    class User(Model, table=Table("users", pk="PK")):
        pk = Key("user_id")
        user_id: str

    compiled = User.__dynamap__
    assert (compiled.pk.attribute, compiled.pk.written_by_codec) == ("PK", False)
    assert User(user_id="u").to_item() == {
        "user_id": {"S": "u"}, "PK": {"S": "u"}, "entity": {"S": "User"},
    }


def test_the_ttl_field_as_a_bare_key_is_a_number() -> None:
    class WebSession(Model, table=Table("sessions"), ttl="expires"):
        pk = Key("S#{id}")
        by_expiry = GSI("ByExpiry", pk="kind", sk="expires")
        id: str
        kind: str = "web"
        expires: datetime

    index = WebSession.__dynamap__.indexes["ByExpiry"]
    assert index.sk is not None and index.sk.type == "N"
    assert WebSession(id="s", expires=NOW).to_item()["expires"] == {"N": str(int(NOW.timestamp()))}


def test_key_from_names_the_missing_field() -> None:
    class Message(Model, table=Table("m")):
        pk = Key("CONV#{conv_id}")
        sk = Key("MSG#{ts}#{id}")
        conv_id: str
        ts: int
        id: str

    compiled = Message.__dynamap__
    assert compiled.key_from({"conv_id": "c", "ts": 1, "id": "m"}) == {
        "PK": {"S": "CONV#c"}, "SK": {"S": "MSG#00000000000000000001#m"},
    }
    with pytest.raises(InvalidKey, match="'SK' needs field\\(s\\) ts"):
        compiled.key_from({"conv_id": "c", "id": "m"})


def test_key_shapes_are_what_collisions_are_judged_on() -> None:
    class Conv(Model, table=Table("c")):
        pk = Key("USER#{user_id}")
        sk = Key("CONV#{created_at}#{id}")
        user_id: str
        created_at: datetime
        id: str

    assert key_shape(Conv.__dynamap__) == ("USER#{}", "CONV#{}#{}")


# -- indexes: GSI, LSI, projections, sparse keys ----------------------------------------------


def make_indexed() -> type[Model]:
    class Conversation(Model, table=Table("chat")):
        pk = Key("USER#{user_id}")
        sk = Key("CONV#{id}")
        shared = GSI("GSI1", pk="SHARE#{share_id}", sk="CONV#{created_at}#{id}")
        by_status = GSI("ByStatus", pk="status", sk="created_at", projection="KEYS_ONLY")
        by_title = GSI("ByTitle", pk="title", projection="INCLUDE",
                       include=["status", "title"])
        recent = LSI("Recent", sk="created_at", projection="INCLUDE", include=["title"])

        user_id: str
        id: str
        created_at: datetime = NOW
        title: str = Field("t", alias="conversationTitle")
        status: str | None = None
        share_id: str | None = None

    return Conversation


def test_indexes_compile_with_their_key_attributes_and_projections() -> None:
    indexes = make_indexed().__dynamap__.indexes
    shared = indexes["GSI1"]
    assert (shared.kind, shared.pk.attribute, shared.projection) == ("GSI", "GSI1PK", "ALL")
    assert shared.sk is not None and shared.sk.attribute == "GSI1SK"
    assert shared.sk.fields == ("created_at", "id")
    status = indexes["ByStatus"]
    assert (status.pk.attribute, status.pk.written_by_codec, status.projection) == (
        "status", True, "KEYS_ONLY")
    title = indexes["ByTitle"]
    assert title.pk.attribute == "conversationTitle"  # the alias is the stored attribute
    # the entity attribute goes along, so reads of the index can tell models apart
    assert title.include == ("status", "conversationTitle", "entity")
    assert title.sk is None
    recent = indexes["Recent"]
    assert recent.kind == "LSI" and recent.include == ("conversationTitle", "entity")


def test_explicit_index_key_attribute_names() -> None:
    class Item(Model, table=Table("items")):
        pk = Key("ITEM#{id}")
        by_owner = GSI("ByOwner", pk="OWNER#{owner}", sk="ITEM#{id}",
                       pk_attribute="ownerKey", sk_attribute="ownerSort")
        id: str
        owner: str

    item = Item(id="i", owner="o").to_item()
    assert item["ownerKey"] == {"S": "OWNER#o"}
    assert item["ownerSort"] == {"S": "ITEM#i"}


def test_sparse_index_keys_are_left_out_when_their_fields_are_unset() -> None:
    conversation = make_indexed()
    item = conversation(user_id="u", id="c").to_item()
    assert "GSI1PK" not in item
    assert item["GSI1SK"] == {"S": "CONV#2024-03-15T12:00:00.000000Z#c"}
    assert "status" not in item  # a bare-field index key: None is never written
    shared = conversation(user_id="u", id="c", share_id="tok", status="open").to_item()
    assert shared["GSI1PK"] == {"S": "SHARE#tok"}
    assert shared["status"] == {"S": "open"}


def test_a_template_with_one_field_unset_is_not_written() -> None:
    class Pair(Model, table=Table("pairs")):
        pk = Key("P#{id}")
        both = GSI("Both", pk="A#{a}#B#{b}")
        id: str
        a: str | None = None
        b: str | None = None

    assert "BothPK" not in Pair(id="1", a="x").to_item()
    assert Pair(id="1", a="x", b="y").to_item()["BothPK"] == {"S": "A#x#B#y"}


# -- the entity attribute, options, aliases, round trips ---------------------------------------


def test_every_item_carries_its_entity_under_the_table_attribute() -> None:
    app = Table("PageManager", entity_attribute="type")

    class Page(Model, table=app, entity="page"):
        pk = Key("PAGE#{id}")
        sk = Key("META#")
        id: str

    class Node(Model, table=app, entity="node"):
        pk = Key("PAGE#{page_id}")
        sk = Key("NODE#{id}")
        page_id: str
        id: str

    assert Page(id="p").to_item()["type"] == {"S": "page"}
    assert Node(page_id="p", id="n").to_item()["type"] == {"S": "node"}


def test_version_timestamps_and_ttl_options() -> None:
    class Invite(Model, table=Table("invites"), version="version", created="created_at",
                 updated="updated_at", ttl="expires_at"):
        pk = Key("INVITE#{code}")
        code: str
        version: int = 0
        created_at: datetime | None = None
        updated_at: datetime | None = None
        expires_at: datetime | None = None

    options = Invite.__dynamap__.options
    assert (options.version, options.created, options.updated, options.ttl) == (
        "version", "created_at", "updated_at", "expires_at")
    item = Invite(code="c", created_at=NOW, expires_at=NOW).to_item()
    assert item["expires_at"] == {"N": "1710504000"}  # epoch seconds on the wire
    assert item["created_at"] == {"S": "2024-03-15T12:00:00.000000Z"}
    assert item["version"] == {"N": "0"}
    back = Invite.from_item(item)
    assert back.expires_at == NOW and back.created_at == NOW
    assert schema_of(Invite.__dynamap__.table).ttl_attribute == "expires_at"


def test_aliases_name_the_stored_attributes_everywhere() -> None:
    class Camel(Model):
        model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True,
                                  validate_by_alias=True)

    class Node(Camel, table=Table("nodes")):
        pk = Key("PAGE#{page_id}")
        sk = Key("NODE#{node_id}")
        by_page = GSI("PageNodesIndex", pk="page_id", sk="created_at")
        page_id: str
        node_id: str
        created_at: datetime = NOW
        prediction_status: str | None = None

    index = Node.__dynamap__.indexes["PageNodesIndex"]
    assert index.pk.attribute == "pageId" and index.sk is not None
    assert index.sk.attribute == "createdAt"
    item = Node(page_id="p", node_id="n", prediction_status="ok").to_item()
    assert set(item) == {"PK", "SK", "pageId", "nodeId", "createdAt", "predictionStatus",
                         "entity"}
    assert Node.from_item(item) == Node(page_id="p", node_id="n", prediction_status="ok")


def test_to_item_and_from_item_round_trip_and_ignore_key_attributes() -> None:
    conversation = make_indexed()
    original = conversation(user_id="u", id="c", share_id="s", status="open", title="Hi")
    item = original.to_item()
    assert conversation.from_item(item) == original
    assert item["conversationTitle"] == {"S": "Hi"}


def test_an_item_over_400_kb_raises_before_anything_is_sent() -> None:
    class Blob(Model, table=Table("blobs")):
        pk = Key("BLOB#{id}")
        id: str
        body: str

    Blob(id="b", body="x" * 1000).to_item()
    with pytest.raises(ItemTooLarge) as caught:
        Blob(id="b", body="x" * (400 * 1024)).to_item()
    assert caught.value.size > 400 * 1024


# -- every definition error: class, field and fix in the message ---------------------------------


def test_template_naming_an_unknown_field() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{page_id}")
            id: str

    fails(build, "unknown_field", "Page", "'page_id'", "declare it", "id")


def test_bare_lowercase_key_that_is_no_field() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("identifier")
            id: str

    fails(build, "unknown_field", "Page", "'identifier'", "upper case", "PREFIX#{field}")


@pytest.mark.parametrize("spec", ["PRICE#{price}", "price"])
def test_a_float_in_a_key(spec: str) -> None:
    def build() -> None:
        class Product(Model, table=Table("t")):
            pk = Key(spec)
            price: float

    fails(build, "key_template" if "#" in spec else "key_type", "Product", "price", "float",
          "use int")


def test_a_bool_in_a_key_template() -> None:
    def build() -> None:
        class Flag(Model, table=Table("t")):
            pk = Key("FLAG#{on}")
            on: bool

    fails(build, "key_template", "Flag", "'on'", "bool", "use a str or int field")


@pytest.mark.parametrize("role", ["pk", "sk"])
def test_a_bool_index_key_without_numeric_bool(role: str) -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{id}")
            published = GSI("Published", **{"pk": "kind", role: "is_published"})
            id: str
            kind: str = "page"
            is_published: bool = False

    fails(build, "key_type", "Page", "'Published'", "'is_published'", "NumericBool")


def test_a_numeric_bool_index_key_is_accepted_as_n() -> None:
    class Page(Model, table=Table("t")):
        pk = Key("PAGE#{id}")
        published = GSI("Published", pk="is_published")
        id: str
        is_published: NumericBool = False

    assert Page.__dynamap__.indexes["Published"].pk.type == "N"
    assert Page(id="p", is_published=True).to_item()["is_published"] == {"N": "1"}


@pytest.mark.parametrize("annotation", [list[str], dict[str, str], Mixed])
def test_a_bare_key_of_a_type_that_cannot_be_a_key(annotation: object) -> None:
    def build() -> None:
        type("Odd", (Model,), {"__annotations__": {"key": annotation}, "pk": Key("key")},
             table=Table("t"))

    fails(build, "key_type", "Odd", "'key'", "cannot be a key" if annotation is not Mixed
          else "all be str, or all int")


def test_two_models_whose_keys_have_the_same_shape() -> None:
    app = Table("app")

    class User(Model, table=app):
        pk = Key("USER#{id}")
        sk = Key("PROFILE")
        id: str

    def build() -> None:
        class Profile(Model, table=app):
            pk = Key("USER#{user_id}")
            sk = Key("PROFILE")
            user_id: str

    fails(build, "key_collision", "Profile", "User", "'USER#{}'", "'PROFILE'",
          "different constant prefix")


def test_models_sharing_a_partition_with_different_sort_prefixes_are_fine() -> None:
    app = Table("app")

    class User(Model, table=app):
        pk = Key("USER#{id}")
        sk = Key("PROFILE")
        id: str

    class Settings(Model, table=app):
        pk = Key("USER#{user_id}")
        sk = Key("SETTINGS")
        user_id: str

    assert app.models == [User, Settings]


def test_conflicting_definitions_of_an_index() -> None:
    app = Table("app")

    class Page(Model, table=app):
        pk = Key("PAGE#{id}")
        by_date = GSI("ByDate", pk="kind", sk="created_at")
        id: str
        kind: str = "page"
        created_at: datetime = NOW

    def build() -> None:
        class Node(Model, table=app):
            pk = Key("NODE#{id}")
            by_date = GSI("ByDate", pk="kind", sk="created_at", projection="KEYS_ONLY")
            id: str
            kind: str = "node"
            created_at: datetime = NOW

    fails(build, "index_conflict", "Node", "Page", "'ByDate'", "KEYS_ONLY",
          "declare it the same way")


def test_conflicting_types_of_one_key_attribute() -> None:
    app = Table("app")

    class Page(Model, table=app):
        pk = Key("PAGE#{id}")
        by_owner = GSI("ByOwner", pk="owner")
        id: str
        owner: str

    def build() -> None:
        class Node(Model, table=app):
            pk = Key("NODE#{id}")
            by_owner2 = GSI("ByOwnerId", pk="owner")
            id: str
            owner: int

    fails(build, "attribute_type_conflict", "Node", "Page", "'owner'", "type N",
          "same type")


@pytest.mark.parametrize(("first_sk", "second_sk"), [("META", None), (None, "META")])
def test_models_of_one_table_with_different_key_attributes(
    first_sk: str | None, second_sk: str | None
) -> None:
    app = Table("app")
    first = {"pk": Key("A#{id}"), "__annotations__": {"id": "str"}}
    if first_sk:
        first["sk"] = Key(first_sk)
    type("First", (Model,), first, table=app)
    second = {"pk": Key("B#{id}"), "__annotations__": {"id": "str"}}
    if second_sk:
        second["sk"] = Key(second_sk)
    fails(lambda: type("Second", (Model,), second, table=app), "table_key_mismatch",
          "Second", "First", "sort key", "must share its key attributes")


def test_a_bare_partition_key_on_a_table_of_templates() -> None:
    app = Table("app")

    class Page(Model, table=app):
        pk = Key("PAGE#{id}")
        id: str

    def build() -> None:
        class Other(Model, table=app):
            pk = Key("id")
            id: str

    fails(build, "table_key_mismatch", "Other", "'id'", "'PK'", "partition key")


def test_a_key_not_named_pk_or_sk() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            hash_key = Key("PAGE#{id}")
            id: str

    fails(build, "key_name", "Page.hash_key", "`pk`", "`sk`")


def test_a_model_without_a_partition_key() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            sk = Key("META")
            id: str

    fails(build, "missing_pk", "Page", 'pk = Key("ITEM#{id}")')


def test_options_need_a_table() -> None:
    def build() -> None:
        class Page(Model, version="version"):
            version: int = 0

    fails(build, "missing_table", "Page", "version=", "table=")


def test_a_field_clashing_with_the_entity_attribute() -> None:
    def build() -> None:
        class Template(Model, table=Table("templates", entity_attribute="type")):
            pk = Key("id")
            id: str
            type: str

    fails(build, "attribute_clash", "Template", "'type'", "entity_attribute")


def test_a_field_clashing_with_a_templated_key_attribute() -> None:
    def build() -> None:
        class Row(Model, table=Table("rows")):
            pk = Key("ROW#{id}")
            id: str
            PK: str

    fails(build, "attribute_clash", "Row", "'PK'", "another attribute name")


def test_an_unknown_field_in_include() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{id}")
            by_kind = GSI("ByKind", pk="kind", projection="INCLUDE", include=["titel"])
            id: str
            kind: str
            title: str

    fails(build, "unknown_field", "Page", "'ByKind'", "'titel'", "title")


def test_include_without_include_projection() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{id}")
            by_kind = GSI("ByKind", pk="kind", include=["title"])
            id: str
            kind: str
            title: str

    fails(build, "index_projection", "Page", "'ByKind'", 'projection="INCLUDE"')


def test_an_index_declared_twice() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{id}")
            one = GSI("ByKind", pk="kind")
            two = GSI("ByKind", pk="title")
            id: str
            kind: str
            title: str

    fails(build, "duplicate_index", "Page", "'ByKind'", "its own name")


def test_a_gsi_without_partition_key() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{id}")
            broken = GSI("Broken", pk=None, sk="id")
            id: str

    fails(build, "index_key", "Page", "'Broken'", "pk=")


def test_an_lsi_on_a_table_without_sort_key() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{id}")
            recent = LSI("Recent", sk="title")
            id: str
            title: str

    fails(build, "lsi_without_sort_key", "Page", "'Recent'", "sk = Key", "GSI")


def test_a_malformed_template() -> None:
    def build() -> None:
        class Page(Model, table=Table("t")):
            pk = Key("PAGE#{id}{rev}")
            id: str
            rev: str

    fails(build, "key_template", "Page", "'rev'", "put a '#' between them")


@pytest.mark.parametrize(
    ("option", "annotation", "wanted"),
    [("version", "str", "int"), ("created", "str", "datetime"),
     ("updated", "int", "datetime"), ("ttl", "int", "datetime")],
)
def test_an_option_on_a_field_of_the_wrong_type(option: str, annotation: str, wanted: str) -> None:
    def build() -> None:
        type("Doc", (Model,), {"pk": Key("D#{id}"),
                               "__annotations__": {"id": "str", "stamp": annotation}},
             table=Table("t"), **{option: "stamp"})

    fails(build, "option_type", "Doc", "'stamp'", option, wanted, "change its annotation")


@pytest.mark.parametrize("option", ["version", "created", "updated", "ttl", "unique"])
def test_an_option_naming_no_field(option: str) -> None:
    value: object = ["stamp"] if option == "unique" else "stamp"

    def build() -> None:
        type("Doc", (Model,), {"pk": Key("D#{id}"), "__annotations__": {"id": "str"}},
             table=Table("t"), **{option: value})

    fails(build, "unknown_field", "Doc", "'stamp'", option, "name one of: id")


def test_two_ttl_attributes_on_one_table() -> None:
    app = Table("app")

    class Invite(Model, table=app, ttl="expires"):
        pk = Key("INVITE#{id}")
        id: str
        expires: datetime | None = None

    def build() -> None:
        class Token(Model, table=app, ttl="valid_until"):
            pk = Key("TOKEN#{id}")
            id: str
            valid_until: datetime | None = None

    fails(build, "ttl_conflict", "Token", "Invite", "'valid_until'", "'expires'",
          "one TTL attribute")


def test_two_models_with_one_entity_name() -> None:
    app = Table("app")

    class Page(Model, table=app, entity="page"):
        pk = Key("PAGE#{id}")
        id: str

    def build() -> None:
        class Draft(Model, table=app, entity="page"):
            pk = Key("DRAFT#{id}")
            id: str

    fails(build, "entity_conflict", "Draft", "Page", "'page'", "another `entity=`")


def test_a_field_type_the_codec_cannot_store() -> None:
    def build() -> None:
        class Scores(Model, table=Table("t")):
            pk = Key("S#{id}")
            id: str
            by_level: dict[int, str]

    fails(build, "unsupported_type", "Scores", "by_level")
