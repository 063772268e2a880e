"""Tests for dynamap._model: the metaclass, abstract bases, inheritance and the compiled
object, all without any network or session."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import pytest
from pydantic import Field, ValidationError

from dynamap import (
    GSI,
    LSI,
    DefinitionError,
    DynamapError,
    InvalidKey,
    Key,
    Model,
    NumericBool,
    SessionError,
    Table,
    new_id,
    utcnow,
)
from dynamap._compiler import CompiledIndex, CompiledModel, KeyAttribute
from dynamap._session import current_session


def definition_error(build: object) -> DefinitionError:
    """Run `build` (a function that defines a model) and return the DefinitionError."""
    assert callable(build)
    with pytest.raises(DefinitionError) as caught:
        build()
    return caught.value


def make_pages() -> tuple[Table, type[Model], type[Model]]:
    app = Table("PageManager")

    class Page(Model, table=app, entity="page"):
        pk = Key("PAGE#{id}")
        sk = Key("META#")
        published = GSI("PublishedPagesIndex", pk="is_published", sk="created_at")

        id: str = Field(default_factory=new_id)
        title: str
        is_published: NumericBool = False
        created_at: datetime = Field(default_factory=utcnow)

    class Node(Model, table=app, entity="node"):
        pk = Key("PAGE#{page_id}")
        sk = Key("NODE#{id}")
        by_page = GSI("PageNodesIndex", pk="page_id", sk="created_at")

        id: str = Field(default_factory=new_id)
        page_id: str
        title: str
        created_at: datetime = Field(default_factory=utcnow)

    return app, Page, Node


# -- declarations leave the namespace; pydantic still works ---------------------------


def test_declarations_are_not_pydantic_fields() -> None:
    _, page, _ = make_pages()
    assert set(page.model_fields) == {"id", "title", "is_published", "created_at"}
    schema = page.model_json_schema()
    assert set(schema["properties"]) == {"id", "title", "is_published", "created_at"}
    assert schema["required"] == ["title"]


def test_pydantic_validation_and_dumping_still_work() -> None:
    _, page, _ = make_pages()
    with pytest.raises(ValidationError):
        page()
    built = page(title="Home", id="p1", is_published=True)
    assert built.model_dump(include={"id", "title", "is_published"}) == {
        "id": "p1", "title": "Home", "is_published": True,
    }
    assert page.model_validate_json(built.model_dump_json()) == built


def test_keys_and_indexes_are_exposed_compiled_on_the_class() -> None:
    _, page, node = make_pages()
    assert isinstance(page.pk, KeyAttribute)
    assert (page.pk.attribute, page.pk.fields, page.pk.type) == ("PK", ("id",), "S")
    assert (page.sk.attribute, page.sk.fields) == ("SK", ())
    published = page.published  # type: ignore[attr-defined]
    assert isinstance(published, CompiledIndex)
    assert published is page.__dynamap__.indexes["PublishedPagesIndex"]
    assert (published.pk.attribute, published.pk.type) == ("is_published", "N")
    assert node.by_page.name == "PageNodesIndex"  # type: ignore[attr-defined]


def test_key_format_builds_the_stored_key_value() -> None:
    _, page, node = make_pages()
    assert page.pk.format(id="p1") == "PAGE#p1"
    assert page.sk.format() == "META#"
    assert node.sk.format(id="a#b") == "NODE#a%23b"
    by_page = node.by_page.pk  # type: ignore[attr-defined]
    assert by_page.format(page_id="p1") == "p1"
    with pytest.raises(InvalidKey, match="page_id"):
        by_page.format(id="p1")
    with pytest.raises(InvalidKey, match="id"):
        page.pk.format()


def test_the_compiled_object_is_one_frozen_object_per_class() -> None:
    app, page, node = make_pages()
    compiled = page.__dynamap__
    assert isinstance(compiled, CompiledModel)
    assert compiled.model is page and compiled.table is app and compiled.entity == "page"
    assert node.__dynamap__ is not compiled
    with pytest.raises(dataclasses.FrozenInstanceError):
        compiled.pk = compiled.pk  # type: ignore[misc]
    with pytest.raises(TypeError):
        compiled.indexes["Other"] = compiled.indexes["PublishedPagesIndex"]  # type: ignore[index]


def test_the_table_lists_its_models_in_order() -> None:
    app, page, node = make_pages()
    assert app.models == [page, node]
    assert [compiled.entity for compiled in app.compiled] == ["page", "node"]


def test_a_table_given_by_name_is_a_table_of_its_own() -> None:
    class User(Model, table="users"):
        pk = Key("id")
        id: str

    assert User.__dynamap__.table.name == "users"
    assert User.__dynamap__.table.models == [User]


def test_entity_defaults_to_the_class_name() -> None:
    class Account(Model, table=Table("t")):
        pk = Key("ACCOUNT#{id}")
        id: str

    assert Account.__dynamap__.entity == "Account"
    assert Account(id="a").to_item()["entity"] == {"S": "Account"}


# -- models need no I/O and no global init ----------------------------------------------


def test_models_construct_and_encode_without_any_session() -> None:
    _, page, _ = make_pages()
    with pytest.raises(SessionError):
        current_session()
    item = page(title="Home", id="p1").to_item()
    assert item["PK"] == {"S": "PAGE#p1"}
    assert page.from_item(item).title == "Home"


async def test_model_methods_without_a_bound_session_raise_session_error() -> None:
    _, page, _ = make_pages()
    with pytest.raises(SessionError, match="async with Session"):
        await page.get(id="p1")
    with pytest.raises(SessionError):
        await page(title="x").save()


# -- abstract bases and inheritance ------------------------------------------------------


def test_an_abstract_base_shares_fields_and_keys() -> None:
    class Owned(Model):
        pk = Key("OWNER#{owner}")
        owner: str
        created_at: datetime = Field(default_factory=utcnow)

    class Doc(Owned, table=Table("docs")):
        sk = Key("DOC#{id}")
        id: str

    assert Doc.__dynamap__.pk.template is not None
    assert Doc.__dynamap__.pk.template.template == "OWNER#{owner}"
    item = Doc(owner="o", id="d").to_item()
    assert (item["PK"], item["SK"]) == ({"S": "OWNER#o"}, {"S": "DOC#d"})
    assert "created_at" in item


def test_an_abstract_model_has_no_compiled_form() -> None:
    class Base(Model):
        pk = Key("X#{id}")
        id: str

    assert getattr(Base, "__dynamap__", None) is None
    with pytest.raises(AttributeError, match="Base has no table"):
        Base(id="1").to_item()
    with pytest.raises(AttributeError, match="Model has no table"):
        Model.from_item({})


def test_a_subclass_without_table_is_not_stored_as_its_base() -> None:
    class Stored(Model, table=Table("t")):
        pk = Key("S#{id}")
        id: str

    class View(Stored):
        extra: int = 1

    assert Stored.__dynamap__.model is Stored
    assert getattr(View, "__dynamap__", None) is None
    with pytest.raises(AttributeError, match="View has no table"):
        View(id="1").to_item()


def test_declarations_inherit_through_levels_and_can_be_overridden() -> None:
    class Keyed(Model):
        pk = Key("A#{id}")
        sk = Key("META")
        id: str

    class Indexed(Keyed):
        by_name = GSI("ByName", pk="name")
        name: str = "n"

    class Leaf(Indexed, table=Table("t")):
        sk = Key("LEAF")

    compiled = Leaf.__dynamap__
    assert compiled.pk.template is not None and compiled.pk.template.template == "A#{id}"
    assert compiled.sk is not None and compiled.sk.template is not None
    assert compiled.sk.template.template == "LEAF"
    assert list(compiled.indexes) == ["ByName"]


def test_a_stored_model_can_be_the_base_of_another_stored_model_on_another_table() -> None:
    class First(Model, table=Table("one")):
        pk = Key("F#{id}")
        id: str

    class Second(First, table=Table("two")):
        pass

    assert Second.__dynamap__.table.name == "two"
    assert Second(id="1").to_item()["entity"] == {"S": "Second"}
    assert First(id="1").to_item()["entity"] == {"S": "First"}


# -- definition errors raised by the metaclass ----------------------------------------------


def test_definition_errors_are_type_errors_with_a_code() -> None:
    error = definition_error(lambda: _model_with_badly_named_key())
    assert isinstance(error, TypeError)
    assert isinstance(error, DynamapError)
    assert error.code == "key_name"
    assert "Bad.partition" in str(error)
    assert "must be named `pk`" in str(error) and "`sk`" in str(error)
    assert "#key_name" in str(error)


def _model_with_badly_named_key() -> None:
    class Bad(Model, table=Table("t")):
        partition = Key("A#{id}")
        id: str


@pytest.mark.parametrize("option", ["entity", "version", "created", "updated", "ttl", "unique"])
def test_options_without_a_table_are_refused(option: str) -> None:
    value: object = ["id"] if option == "unique" else "id"

    def build() -> None:
        type("Loose", (Model,), {"__annotations__": {"id": "str"}}, **{option: value})

    error = definition_error(build)
    assert error.code == "missing_table"
    message = str(error)
    assert "Loose" in message and f"{option}=" in message and "table=" in message


def test_a_model_whose_annotations_cannot_resolve_is_refused() -> None:
    def build() -> None:
        class Forward(Model, table=Table("t")):
            pk = Key("F#{id}")
            id: str
            child: NotDefinedAnywhere  # type: ignore[name-defined]  # noqa: F821

    error = definition_error(build)
    assert error.code == "incomplete_model"
    assert "Forward" in str(error) and "define the models it refers to first" in str(error)


def test_a_failed_definition_does_not_register_the_model() -> None:
    app = Table("t")

    class Good(Model, table=app):
        pk = Key("G#{id}")
        id: str

    def build() -> None:
        class Clash(Model, table=app):
            pk = Key("G#{other}")
            other: str

    assert definition_error(build).code == "key_collision"
    assert app.models == [Good]


def test_lsi_declared_on_a_model_is_compiled_with_the_table_partition_key() -> None:
    class Thread(Model, table=Table("threads")):
        pk = Key("THREAD#{id}")
        sk = Key("POST#{number}")
        by_author = LSI("ByAuthor", sk="AUTHOR#{author}")
        id: str
        number: int
        author: str

    index = Thread.__dynamap__.indexes["ByAuthor"]
    assert index.kind == "LSI"
    assert index.pk is Thread.__dynamap__.pk
    assert index.sk is not None and index.sk.attribute == "ByAuthorSK"
