"""Prompt templates live in `prompts/` as text files with `$name` variables.

A template is rendered with `string.Template.substitute`, so a missing variable is an error, not
an empty string. The folder is found next to the package (a source checkout or a Space) and can
be moved with ASSISTANT_PROMPTS_DIR.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from string import Template

from assistant.text import normalize

_DEFAULT_DIR = Path(__file__).resolve().parent.parent / "prompts"


def prompts_dir() -> Path:
    """ASSISTANT_PROMPTS_DIR, else the checkout's `prompts/`, else `./prompts` (non-editable installs)."""
    if env := os.environ.get("ASSISTANT_PROMPTS_DIR"):
        return Path(env)
    return _DEFAULT_DIR if _DEFAULT_DIR.is_dir() else Path.cwd() / "prompts"


@lru_cache(maxsize=64)
def load_prompt(name: str) -> str:
    """The text of `prompts/<name>.txt` (or `.md`), NFC-normalised, trailing newline removed."""
    for suffix in (".txt", ".md"):
        path = prompts_dir() / f"{name}{suffix}"
        if path.is_file():
            return normalize(path.read_text(encoding="utf-8")).rstrip("\n")
    raise FileNotFoundError(f"prompt template {name!r} not found in {prompts_dir()}")


def render_prompt(name: str, **variables: object) -> str:
    """Fill a template; raises KeyError naming the variable a caller forgot."""
    return Template(load_prompt(name)).substitute({k: str(v) for k, v in variables.items()})


def refusal_text(english: bool = False) -> str:
    """The one refusal sentence, in the question's language."""
    return load_prompt("refusal_en" if english else "refusal_vi")
