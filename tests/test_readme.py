"""The README's Python examples run as written."""

import re

import pytest
from conftest import ROOT

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"example-{k}" for k in range(len(BLOCKS))])
def test_readme_example_runs(code, capsys):
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out  # every example prints its result


def test_the_readme_has_the_sparse_pipeline_example():
    assert any("HashingVectorizer" in code for code in BLOCKS)
