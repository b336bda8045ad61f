"""Prompt templates: text files with `$name` variables, shipped inside the package.

A template is rendered with `string.Template.substitute`, so a missing variable is an error, not
an empty string. The files are package data (found through `importlib.resources`), so an
installed wheel has them as a source checkout does.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from string import Template

from assistant.lang.normalize import normalize


@lru_cache(maxsize=64)
def load_prompt(name: str) -> str:
    """The text of `<name>.txt` (or `.md`) in this package, NFC-normalised, trailing newline removed."""
    folder = resources.files(__name__)
    for suffix in (".txt", ".md"):
        path = folder.joinpath(f"{name}{suffix}")
        if path.is_file():
            return normalize(path.read_text(encoding="utf-8")).rstrip("\n")
    raise FileNotFoundError(f"prompt template {name!r} not found in {folder}")


def render_prompt(name: str, **variables: object) -> str:
    """Fill a template; raises KeyError naming the variable a caller forgot."""
    return Template(load_prompt(name)).substitute({k: str(v) for k, v in variables.items()})


def refusal_text(english: bool = False) -> str:
    """The one refusal sentence, in the question's language."""
    return load_prompt("refusal_en" if english else "refusal_vi")
