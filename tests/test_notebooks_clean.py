"""The analyst notebooks are stored clean and thin.

Clean: no outputs, no execution counts, kernel ``python3``, a markdown cell
first (what the notebook is about).  Thin: code cells are plain Python (the
one magic allowed is ``%matplotlib inline``), import only from ``planner``,
``pandas``, ``geopandas`` and ``matplotlib`` and define no functions or
classes -- the logic lives in ``planner/``; the notebooks call the public API
and show results.  Executing them is nbmake's job
(``pytest --nbmake notebooks/``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = ("01_white_spots.ipynb", "02_network_design.ipynb", "03_schedule_and_progress.ipynb")
ALLOWED_IMPORTS = frozenset({"planner", "pandas", "geopandas", "matplotlib"})


def _imports(source: str) -> set[str]:
    """Top-level package names imported by ``source`` (a code cell)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else (node.module or "").split(".")[0])
    return names


def _problems(nb: nbformat.NotebookNode) -> list[str]:
    """Every way ``nb`` breaks the clean-and-thin rules (empty list: none)."""
    problems: list[str] = []
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        problems.append(f"kernelspec name is {kernel!r}, expected 'python3'")
    if not nb.cells or nb.cells[0].cell_type != "markdown" or not nb.cells[0].source.strip():
        problems.append("the first cell must be a non-empty markdown cell")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has {len(cell.outputs)} stored outputs")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has execution_count {cell.execution_count}")
        # the one magic allowed: ``%matplotlib inline`` (renders figures built without pyplot,
        # e.g. planner.schedule.gantt_figure); any other magic is reported below
        source = "\n".join(line for line in cell.source.splitlines() if line.strip() != "%matplotlib inline")
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:  # also catches IPython magics, which nbmake-only code should not need
            problems.append(f"cell {i} is not plain Python: {exc.msg}")
            continue
        bad = sorted(_imports(source) - ALLOWED_IMPORTS)
        if bad:
            problems.append(f"cell {i} imports {bad}; notebooks may import only {sorted(ALLOWED_IMPORTS)}")
        defs = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        if defs:
            problems.append(f"cell {i} defines {defs}; put logic in planner/, not in the notebook")
    return problems


def _clean_notebook() -> nbformat.NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nb.cells = [new_markdown_cell("# Title"),
                new_code_cell("%matplotlib inline\nimport pandas as pd\nimport planner\n"
                              "from matplotlib import pyplot as plt")]
    return nb


def test_expected_notebooks_exist():
    present = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
    assert set(EXPECTED) <= set(present), f"missing notebooks: {sorted(set(EXPECTED) - set(present))}"


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_is_clean_and_thin(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert any(c.cell_type == "code" for c in nb.cells), f"{path.name} has no code cell"
    assert _problems(nb) == [], f"{path.name}: " + "; ".join(_problems(nb))


def test_checker_accepts_a_clean_notebook():
    assert _problems(_clean_notebook()) == []


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda nb: nb.cells[1].outputs.append(new_output("stream", name="stdout", text="x")), "stored outputs"),
        (lambda nb: nb.cells[1].__setitem__("execution_count", 3), "execution_count 3"),
        (lambda nb: nb.cells.insert(0, new_code_cell("import planner")), "first cell"),
        (lambda nb: nb.metadata.kernelspec.__setitem__("name", "conda-env"), "kernelspec"),
        (lambda nb: nb.cells.append(new_code_cell("import numpy as np")), "imports ['numpy']"),
        (lambda nb: nb.cells.append(new_code_cell("from scipy.sparse import csgraph")), "imports ['scipy']"),
        (lambda nb: nb.cells.append(new_code_cell("from . import x")), "imports ['.']"),
        (lambda nb: nb.cells.append(new_code_cell("def route(g):\n    return g")), "defines ['route']"),
        (lambda nb: nb.cells.append(new_code_cell("%timeit planner.plan()")), "not plain Python"),
    ],
    ids=["outputs", "execution_count", "first_cell", "kernel", "numpy", "scipy", "relative", "def", "magic"],
)
def test_checker_flags_each_rule(spoil, expected):
    nb = _clean_notebook()
    spoil(nb)
    problems = _problems(nb)
    assert len(problems) == 1 and expected in problems[0], problems
