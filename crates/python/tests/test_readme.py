"""The Python example in the repository README runs as written."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"


def python_examples():
    if not README.exists():
        return []
    text = README.read_text(encoding="utf-8")
    section = re.search(r"^## Python\b.*?(?=^## |\Z)", text, re.S | re.M)
    if not section:
        return []
    return re.findall(r"```python\n(.*?)```", section.group(0), re.S)


def test_readme_python_example(tmp_path, monkeypatch):
    examples = python_examples()
    if not examples:
        pytest.skip("README.md has no '## Python' section with a ```python block yet")
    monkeypatch.chdir(tmp_path)
    for code in examples:
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
