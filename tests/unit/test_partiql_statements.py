"""PartiQL statements as built, before anything is sent (through the fake transport)."""

from __future__ import annotations

from typing import Any

import pytest

from dynamap import InvalidValue, Key, Model, Table
from dynamap.partiql import Statement, _request, insert

app = Table("App")


class Item(Model, table=app, entity="item"):
    pk = Key("ITEM#{id}")
    id: str
    note: str = ""


class Account(Model, table=app, entity="account", unique=("email",)):
    pk = Key("ACCOUNT#{id}")
    id: str
    email: str


def request(text: str, *parameters: Any, table: str | None = "dev-App") -> dict[str, Any]:
    return _request(Statement(text, *parameters), table)


def test_the_table_is_filled_in_quoted_and_values_only_as_parameters() -> None:
    built = request('SELECT * FROM {table} WHERE PK = ? AND note = ?', "ITEM#1", "it's")
    assert built == {"Statement": 'SELECT * FROM "dev-App" WHERE PK = ? AND note = ?',
                     "Parameters": [{"S": "ITEM#1"}, {"S": "it's"}]}
    assert request('SELECT * FROM {table}') == {"Statement": 'SELECT * FROM "dev-App"'}
    assert request('SELECT * FROM {table}', table='we"ird')["Statement"] == (
        'SELECT * FROM "we""ird"')


@pytest.mark.parametrize(("text", "count"), [
    ("SELECT * FROM {table} WHERE PK = '?'", 0),
    ('SELECT * FROM "odd?name" WHERE PK = ?', 1),
    ("SELECT * FROM {table} WHERE note = 'it''s ?' AND PK = ?", 1),
    ("SELECT * FROM {table} WHERE PK = ? OR PK = ?", 2),
])
def test_placeholders_are_counted_outside_quotes(text: str, count: int) -> None:
    assert len(request(text, *["x"] * count).get("Parameters", [])) == count
    with pytest.raises(InvalidValue, match=f"{count} \\? placeholder"):
        request(text, *["x"] * (count + 1))


def test_a_table_placeholder_inside_a_literal_is_left_alone() -> None:
    assert request("SELECT * FROM {table} WHERE note = '{table}'")["Statement"] == (
        """SELECT * FROM "dev-App" WHERE note = '{table}'""")


def test_insert_names_every_attribute_and_passes_values_as_parameters() -> None:
    item = Item(id="1", note="x'); DROP")
    stored = item.to_item()
    built = _request(insert(item), "dev-App")
    names = ", ".join(f"'{name}': ?" for name in stored)
    assert built["Statement"] == f'INSERT INTO "dev-App" VALUE {{{names}}}'
    assert built["Parameters"] == list(stored.values())
    assert set(stored) == {"PK", "entity", "id", "note"}


def test_insert_refuses_models_with_unique_fields_and_non_models() -> None:
    with pytest.raises(InvalidValue, match="unique"):
        insert(Account(id="1", email="a@example.com"))
    with pytest.raises(TypeError):
        insert("not a model")  # type: ignore[arg-type]


def test_a_statement_must_be_text() -> None:
    with pytest.raises(InvalidValue, match="is a str"):
        _request(Statement(b"SELECT"), None)  # type: ignore[arg-type]
