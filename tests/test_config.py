"""One Settings object nested by stage, read from flat ASSISTANT_* variables."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.config import ContextSettings, DecideSettings, Settings


def test_each_stage_reads_its_own_flat_variables(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TOP_K", "4")
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", "/data/articles")
    monkeypatch.setenv("ASSISTANT_LLM", "extractive")
    monkeypatch.setenv("ASSISTANT_RULES_OFF", "off_topic, low_coverage")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    s = Settings()
    assert s.context.top_k == 4 and s.index.corpus_dir == Path("/data/articles")
    assert s.answer.llm == "extractive" and s.decide.rules_off == {"off_topic", "low_coverage"}
    assert s.answer.openai_api_key.get_secret_value() == "sk-test" and "sk-test" not in repr(s)


def test_flat_fields_are_routed_to_their_section_and_unknown_ones_are_errors():
    s = Settings(corpus_dir=Path("x"), llm="extractive", top_k=2)
    assert s.index.corpus_dir == Path("x") and s.answer.llm == "extractive" and s.context.top_k == 2
    with pytest.raises(ValidationError, match="unknown setting 'top_kk'"):
        Settings(top_kk=2)
    with pytest.raises(ValueError, match="unknown setting"):
        s.replace(nope=1)


def test_replace_changes_one_field_and_keeps_the_rest():
    s = Settings(corpus_dir=Path("x"), top_k=2)
    t = s.replace(rules_off="a,b", passage_margin=0.0)
    assert t.decide.rules_off == {"a", "b"} and t.context.passage_margin == 0.0
    assert t.context.top_k == 2 and t.index.corpus_dir == Path("x")
    assert s.decide.rules_off == frozenset()  # the original is unchanged


def test_stages_take_their_section_whose_defaults_are_the_only_defaults():
    # the classes that use these sections have no thresholds of their own: the section is the one source
    assert Settings().context == ContextSettings() and Settings().decide == DecideSettings()
