"""Bad input from users and documents: every case ends in an answer or one clear `AssistantError`.

Most cases are generated (hypothesis): arbitrary Unicode questions (control characters, emoji,
mixed scripts, decomposed Vietnamese, no diacritics), arbitrary JSON as chat history, arbitrary
bytes as question files and uploads. Nothing else may escape: no traceback, no partial write.
"""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.errors import AssistantError, InvalidInputFileError, InvalidQuestionError
from assistant.evaluation.dataset import load_questions
from assistant.ingest.corpus import load_corpus
from assistant.ingest.upload import check_upload
from assistant.lang.normalize import fold_diacritics, normalize
from assistant.query import parse_history

VIETNAMESE = "Tuần lễ Số Quốc tế Việt Nam 2022 khai mạc ở đâu? Ai là Tổng Giám đốc Tập đoàn Viettel?"
_questions = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=120),
    st.sampled_from([VIETNAMESE, fold_diacritics(VIETNAMESE), unicodedata.normalize("NFD", VIETNAMESE)]).flatmap(
        lambda base: st.tuples(st.just(base), st.text(max_size=20)).map(lambda t: t[0] + t[1])
    ),
    st.text(alphabet="\x00\x01\x07\x1b\u200b\u202e\ufeff \t\n🙂🇻🇳中文العربية", max_size=60),
)
_slow = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(_questions)
@settings(max_examples=150, deadline=None)
def test_question_validation_returns_clean_text_or_one_clear_error(indexed, question):
    try:
        clean = indexed.validate_question(question)
    except InvalidQuestionError as exc:
        assert exc.vi and exc.message
        return
    assert clean == normalize(clean) and clean == clean.strip()
    assert 0 < len(clean) <= indexed.settings.answer.max_question_chars


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "x" * 100_000, "chuyển đổi số " * 10_000])
def test_empty_and_huge_questions_are_refused_with_a_message(indexed, question):
    with pytest.raises(InvalidQuestionError) as info:
        indexed.ask(question)
    assert info.value.vi == "Câu hỏi đang trống." or "quá dài" in info.value.vi


@given(_questions)
@_slow
def test_any_question_gets_an_answer_or_a_clear_error(indexed, question):
    try:
        answer = indexed.ask(question)
    except AssistantError:
        return
    assert isinstance(answer.text, str) and answer.text
    assert answer.refused or answer.citations  # an answer that is not a refusal cites something


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@given(st.one_of(_json, st.lists(st.fixed_dictionaries({"role": st.text(max_size=10), "content": _json}))))
@settings(max_examples=150, deadline=None)
def test_any_history_json_is_accepted_or_refused_clearly(data):
    try:
        messages = parse_history(data)
    except InvalidInputFileError as exc:
        assert exc.message.startswith("history")
        return
    assert all(m.role in ("user", "assistant") and isinstance(m.content, str) for m in messages)


@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8")))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_question_file_loads_or_names_the_problem(tmp_path, raw):
    path = tmp_path / "q.jsonl"
    path.write_bytes(raw)
    try:
        questions = load_questions(path)
    except InvalidInputFileError as exc:
        assert str(path) in exc.message
        return
    assert questions and all(q.id and q.question for q in questions)


_SUFFIXES = st.sampled_from([".txt", ".md", ".html", ".htm", ".pdf", ".exe", ""])


@given(st.binary(max_size=600), _SUFFIXES)
@settings(max_examples=100, deadline=None)
def test_any_upload_is_checked_completely(raw, suffix):
    try:
        upload = check_upload(f"bai-viet{suffix}", raw, max_bytes=2_000)
    except InvalidInputFileError as exc:
        assert exc.vi and exc.vi != exc.message  # a Vietnamese message for the UI, not the English one
        return
    assert upload.article.paragraphs and upload.doc_id == "bai-viet"


def test_a_corpus_folder_with_bad_files_skips_them_and_keeps_the_rest(tmp_path, seeds_dir, caplog):
    good = (seeds_dir / "000_377d6bb99a16161c.txt").read_bytes()
    (tmp_path / "good.txt").write_bytes(good)
    (tmp_path / "utf16.txt").write_bytes(good.decode("utf-8").encode("utf-16"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "cp1258.txt").write_bytes(
        "Đà Nẵng và Hà Nội là hai thành phố lớn của Việt Nam.".encode("cp1258", errors="replace")
    )
    (tmp_path / "huge.txt").write_bytes(b"a" * 5_000_001)
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    articles = load_corpus(tmp_path)
    assert sorted(a.id for a in articles) == ["good", "utf16"]
    for name in ("empty", "binary", "cp1258", "huge"):
        assert f"{name}.txt" in caplog.text


@pytest.mark.parametrize(
    "content",
    ["{not json", "[1, 2", '{"role": "user"}', '[{"role": "user"}]', '[{"role": "robot", "content": "x"}]', "\x00"],
)
def test_the_cli_refuses_malformed_history_in_one_line(tmp_path, content):
    import subprocess
    import sys

    path = tmp_path / "h.json"
    path.write_text(content, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "assistant.app.cli", "ask", "Nó là gì?", "--history", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.count("\n") == 1
