"""Finding models: modules, packages (recursively), files and directories, and the
one-line errors for targets that do not import or hold no model."""

from __future__ import annotations

import json

import pytest
from cli_helpers import HERE, Cli, error_line

from dynamap.cli.errors import CommandError
from dynamap.cli.targets import load_model, load_targets, model_spec


def table_names(result_stdout: str) -> list[str]:
    decoder = json.JSONDecoder()
    names, position, text = [], 0, result_stdout.strip()
    while position < len(text):
        document, position = decoder.raw_decode(text, position)
        names.append(document["TableName"])
        while position < len(text) and text[position].isspace():
            position += 1
    return names


def test_a_module_gives_its_models_and_their_tables() -> None:
    import sample_models

    found = load_targets(["sample_models"])
    assert found.models == (sample_models.Customer, sample_models.Order, sample_models.Event)
    assert [table.name for table in found.tables] == ["CliShop", "CliAudit"]


def test_a_package_is_imported_with_its_submodules_but_not_main() -> None:
    found = load_targets(["sample_pkg"])
    assert [model.__name__ for model in found.models] == ["First", "Second"]
    assert [table.name for table in found.tables] == ["CliPkgFirst", "CliPkgSecond"]


def test_models_named_twice_are_collected_once() -> None:
    found = load_targets(["sample_pkg.one", "sample_pkg.sub.two", "sample_pkg"])
    assert [model.__name__ for model in found.models] == ["First", "Second"]


def test_file_and_directory_paths(offline: Cli) -> None:
    by_file = offline("create-tables", str(HERE / "sample_models.py"), "--dry-run",
                      connect=False)
    assert by_file.exit_code == 0, by_file.output
    assert table_names(by_file.stdout) == ["CliShop", "CliAudit"]
    by_dir = offline("create-tables", str(HERE / "sample_pkg"), "--dry-run", connect=False)
    assert by_dir.exit_code == 0, by_dir.output
    assert table_names(by_dir.stdout) == ["CliPkgFirst", "CliPkgSecond"]
    nested = offline("create-tables", str(HERE / "sample_pkg" / "sub" / "two.py"), "--dry-run",
                     connect=False)
    assert nested.exit_code == 0, nested.output
    assert table_names(nested.stdout) == ["CliPkgFirst", "CliPkgSecond"]


def test_model_specs() -> None:
    import sample_models

    assert load_model("sample_models:Order") is sample_models.Order
    assert load_model(f"{HERE / 'sample_models.py'}:Event") is sample_models.Event
    assert model_spec(sample_models.Order) == "sample_models:Order"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sample_models", "does not name a model: write it as module:Class"),
        ("sample_models:Nope", "sample_models has no attribute 'Nope'"),
        ("sample_models:shop", "sample_models:shop is not a dynamap model"),
        ("no_models:Model", "no_models:Model is not a dynamap model"),
        ("nowhere_to_be_found:Page", "no module named 'nowhere_to_be_found'"),
    ],
)
def test_bad_model_specs(spec: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        load_model(spec)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("no_such_package.models",
         "cannot import 'no_such_package.models': no module named 'no_such_package'; run the "
         "command from your project's root, or give a file path"),
        ("sample_pkg.missing",
         "cannot import 'sample_pkg.missing': no module named 'sample_pkg.missing'"),
        ("no_models", "no dynamap models found in 'no_models'"),
        ("broken_models",
         "importing broken_models failed: No module named "
         "'dynamap_cli_test_dependency_not_installed'"),
        ("bad_definition",
         "importing bad_definition failed: DefinitionError: Broken: pk template "
         "'ITEM#{missing}' names unknown field 'missing'"),
        ("not a module", "'not a module' is neither a module path"),
        ("missing/file.py", "file.py does not exist"),
        (str(HERE / "conftest.py") + "x", "does not exist"),
        (str(HERE.parent), "is a directory without __init__.py"),
    ],
)
def test_bad_targets_fail_with_one_line(offline: Cli, target: str, message: str) -> None:
    result = offline("plan", target, connect=False)
    assert result.exit_code == 2
    assert message in error_line(result)
    assert result.stdout == ""
