"""`examples/notebook.ipynb` runs top to bottom in a fresh kernel, and shows what it says.

The kernel is this interpreter (the test environment's), named through a kernelspec
written for the test: the notebook's own `python3` may resolve to another Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "examples" / "notebook.ipynb"
KERNEL = "dynamap-tests"


@pytest.fixture
def kernel_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec that starts an IPython kernel on the interpreter running the tests."""
    spec = tmp_path / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "dynamap tests", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    assert KernelSpecManager().get_kernel_spec(KERNEL).argv[0] == sys.executable
    return KERNEL


def html_of(cell: Any) -> str:
    """The HTML a cell displayed as its result."""
    shown = [out["data"]["text/html"] for out in cell.outputs
             if out.get("output_type") == "execute_result" and "text/html" in out["data"]]
    assert shown, f"cell {cell.id} displayed no HTML"
    return str(shown[0])


def text_of(cell: Any) -> str:
    """The plain text a cell displayed as its result."""
    return "".join(out["data"]["text/plain"] for out in cell.outputs
                   if out.get("output_type") == "execute_result")


async def test_the_notebook_runs_and_renders_tables(kernel_name: str) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, kernel_name=kernel_name, timeout=120,
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    await client.async_execute()  # raises CellExecutionError on the first failing cell
    cells = {cell.id: cell for cell in notebook.cells}
    assert '<table class="dynamap-model"><caption>Page</caption>' in html_of(cells["model"])
    partition = html_of(cells["partition"])
    assert "<caption>Page: 4 items, last page</caption>" in partition
    for title in ("Home", "Intro", "Gallery", "Contact"):
        assert f"<td>{title}</td>" in partition
    assert "['Intro', 'Gallery'], ['Contact'], None" in text_of(cells["pagination"])
    assert "About" in html_of(cells["pandas"]) and "Draft" not in html_of(cells["pandas"])
    assert "<td>About us</td>" in html_of(cells["model-methods"])
    assert "'PutItem': 6" in text_of(cells["stats"])
