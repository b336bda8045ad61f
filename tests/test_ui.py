"""What the app renders, and adding an article through it (real store, real embeddings)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.app.ui import inert, render_answer, render_user, supporting_span
from assistant.errors import InvalidInputFileError
from assistant.ingest.upload import check_upload, document_id, html_to_text
from assistant.types import ANSWERED, Answer, Citation, Decision, SentenceSupport
from tests.dev_regression import VIETTEL_CEO

PASSAGE = "Hội nghị khai mạc sáng 12/10. Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel. Trời mưa."
VIETTEL = Citation(1, "003_x", "c1", "Sứ mệnh khác biệt", PASSAGE, 0.03, date="12/10/2021", source="ictvietnam.vn")


def _answer(text: str, support: list[SentenceSupport], citations=(VIETTEL,), decision=ANSWERED) -> Answer:
    return Answer("Ai?", text, list(citations), decision, "extractive", support=support)


def _refusal_reason(html_out: str) -> str | None:
    """The content of the answer's refusal-reason element, or None when it has none."""
    found = re.findall(r'<div class="refusal-reason"[^>]*>(.*?)</div>', html_out)
    assert len(found) <= 1, found
    return found[0] if found else None


@given(st.text(max_size=200))
def test_inert_text_has_no_markup_left(text):
    out = inert(text)
    assert not re.search(r"[<>\[\]()!`*_]", out.replace("<br>", ""))


def test_script_image_and_markdown_in_a_question_are_shown_as_text():
    out = render_user('<script>alert(1)</script> <img src=x onerror="alert(2)"> ![a](http://evil.example/x.png)')
    assert "<script" not in out and "<img" not in out and "](" not in out
    assert "&lt;script&gt;" in out


def test_markers_become_links_to_the_sources_of_the_same_answer():
    # the highlighted span is the citation's quote (the supporting sentence cite.py found)
    quoted = Citation(**{**VIETTEL.__dict__, "quote": "Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel."})
    answer = _answer(
        "Ông Lê Đăng Dũng là Tổng Giám đốc Viettel [1].",
        [SentenceSupport("Ông Lê Đăng Dũng là Tổng Giám đốc Viettel.", (1,), 1.0, True)],
        citations=(quoted,),
    )
    out = render_answer(answer, turn=3)
    assert '<a class="cite" href="#nguon-3-1">[1]</a>' in out
    assert '<details class="source" id="nguon-3-1">' in out
    assert "12/10/2021" in out and "ictvietnam.vn" in out and "chua-kiem-chung" not in out
    # the supporting sentence of the passage is highlighted, not the whole passage
    assert "<mark>Ông Lê Đăng Dũng là Tổng Giám đốc Tập đoàn Viettel.</mark>" in out


def test_unsupported_sentences_are_marked_and_dead_markers_are_not_links():
    answer = _answer(
        "Ông Dũng là Tổng Giám đốc Viettel [1]. Viettel có 900 nghìn nhân viên [2].",
        [
            SentenceSupport("Ông Dũng là Tổng Giám đốc Viettel.", (1,), 0.9, True),
            SentenceSupport("Viettel có 900 nghìn nhân viên.", (2,), 0.0, False),
        ],
    )
    out = render_answer(answer, turn=1)
    assert out.count('class="chua-kiem-chung" title="chưa được kiểm chứng"') == 1
    assert 'href="#nguon-1-2"' not in out  # passage 2 is not among the citations


def test_a_refusal_shows_no_sources_and_says_so():
    # a decision without a message of its own falls back to the generic "no sources" sentence
    refused = Decision(False, "off_topic", "best passage similarity 0.700 < 0.798")
    answer = _answer("Tôi không tìm thấy thông tin này trong các bài viết.", [], citations=(), decision=refused)
    out = render_answer(answer, turn=1)
    assert "<details" not in out and "Không có nguồn nào được trích dẫn" in out


def test_a_refusal_shows_its_rule_message_escaped_and_an_answer_shows_none():
    message = 'Không tìm thấy đoạn nào nêu <b>160.000</b> & <img src=x onerror="alert(1)"> [1](http://x.example).'
    refused = Decision(False, "low_coverage", "key-term coverage 0.20 < 0.6; missing: 160000", message)
    out = render_answer(_answer("Tôi không tìm thấy thông tin này.", [], citations=(), decision=refused), turn=1)
    shown = _refusal_reason(out)
    assert shown == inert(message)  # the decision's own Vietnamese message, every piece of markup escaped
    assert "<b>" not in out and "<img" not in out and "](" not in out
    assert f'title="{inert("low_coverage")}"' in out  # the rule's name, for whoever tunes it
    assert "Không có nguồn nào được trích dẫn" not in out

    answered = _answer(
        "Ông Lê Đăng Dũng là Tổng Giám đốc Viettel [1].",
        [SentenceSupport("Ông Lê Đăng Dũng là Tổng Giám đốc Viettel.", (1,), 1.0, True)],
    )
    out = render_answer(answered, turn=1)
    assert _refusal_reason(out) is None and "refusal-reason" not in out


@pytest.mark.regression
def test_regression_a_real_refusal_shows_the_message_of_the_rule_that_refused(indexed):
    from assistant.decide import RULES

    answer = indexed.ask("Công thức nấu phở bò ngon nhất là gì?")
    assert answer.refused and answer.decision.reason in {r.name for r in RULES}
    assert answer.decision.message_vi
    assert _refusal_reason(render_answer(answer, turn=2)) == inert(answer.decision.message_vi)
    answered = indexed.ask(VIETTEL_CEO)
    assert not answered.refused and _refusal_reason(render_answer(answered, turn=3)) is None


def test_model_output_with_html_is_escaped():
    answer = _answer('<img src=x onerror="alert(1)"> [1].', [SentenceSupport("x", (1,), 1.0, True)])
    out = render_answer(answer, turn=1)
    assert "<img" not in out and "&lt;img" in out


def test_supporting_span_prefers_the_quote():
    quoted = Citation(**{**VIETTEL.__dict__, "quote": "Trời mưa."})
    a, b = supporting_span(quoted)
    assert PASSAGE[a:b] == "Trời mưa."
    assert supporting_span(VIETTEL) is None  # no quote: nothing is highlighted


# --- uploads -----------------------------------------------------------------------------------
ARTICLE_HTML = """<html><head><title>Hà Nội ra mắt nền tảng số mới</title><style>p{color:red}</style></head>
<body><nav>Trang chủ | Tin tức</nav><script>alert("x")</script>
<h1>Hà Nội ra mắt nền tảng số mới</h1><p>Ngày 5/3/2023, Sở Thông tin và Truyền thông Hà Nội ra mắt nền tảng
số dùng chung cho 30 quận huyện.</p><p>Nền tảng do Công ty Kỹ thuật Số Thăng Long phát triển.</p>
<footer>Bản quyền</footer></body></html>"""


def test_html_is_reduced_to_its_article_text():
    text = html_to_text(ARTICLE_HTML)
    assert "Sở Thông tin và Truyền thông Hà Nội" in text and "Thăng Long" in text
    assert "alert" not in text and "color:red" not in text and "Trang chủ" not in text and "Bản quyền" not in text


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("a.exe", b"MZ\x90\x00", "không được hỗ trợ"),
        ("a.pdf", b"%PDF-1.4", "không phải PDF đọc được"),
        ("a.docx", b"PK\x03\x04", "không phải tệp Word"),
        ("a.txt", b"", "trống"),
        ("a.txt", "Đà và nhà".encode("cp1258"), "UTF-8"),
        ("a.txt", b"\x00\x01binary\x00", "không phải văn bản"),
        ("a.txt", b"x" * 3_000_001, "quá lớn"),
        ("a.txt", b"   \n\n  ", "nội dung"),
        ("a.html", b"<html><script>only()</script></html>", "nội dung"),
        ("....txt", b"Chuyen doi so la xu the tat yeu cua moi quoc gia tren the gioi hien nay.", "Tên tệp"),
    ],
)
def test_bad_uploads_get_a_vietnamese_message(name, raw, message):
    with pytest.raises(InvalidInputFileError) as info:
        check_upload(name, raw, max_bytes=2_000_000)
    assert message in info.value.vi


def test_document_ids_are_safe_file_names():
    assert document_id("../../etc/Bài viết mới (1).html") == "Bài_viết_mới_1"


def test_adding_an_article_indexes_it_and_it_can_be_asked_about(fresh):
    fresh.index()
    before = fresh.store.count()
    article, report = fresh.add_article("ha-noi.html", ARTICLE_HTML.encode())
    assert article.id == "ha-noi" and report.added > 0 and report.unchanged == before
    assert (fresh.settings.index.corpus_dir / "ha-noi.txt").is_file()
    listed = {a.doc_id: a for a in fresh.indexed_articles()}
    assert listed["ha-noi"].chunks == report.added and listed["ha-noi"].title == "Hà Nội ra mắt nền tảng số mới"
    answer = fresh.ask("Nền tảng số dùng chung của Hà Nội do công ty nào phát triển?")
    assert answer.citations and answer.citations[0].doc_id == "ha-noi"


def test_a_bad_or_duplicate_upload_changes_nothing(fresh):
    fresh.index()
    files = sorted(p.name for p in fresh.settings.index.corpus_dir.iterdir())
    count = fresh.store.count()
    for name, raw, message in [
        ("x.txt", "Đà và nhà".encode("cp1258"), "UTF-8"),
        ("001_49942c841792d2c4.md", "Một bài viết khác về chuyển đổi số ở Việt Nam. ".encode() * 5, "Đã có"),
    ]:
        with pytest.raises(InvalidInputFileError) as info:
            fresh.add_article(name, raw)
        assert message in info.value.vi
    assert sorted(p.name for p in fresh.settings.index.corpus_dir.iterdir()) == files
    assert fresh.store.count() == count


# --- deployment settings -------------------------------------------------------------------------
def test_the_app_binds_all_interfaces_only_inside_a_space(monkeypatch):
    from assistant.app.ui import bind_host
    from assistant.config import Settings

    monkeypatch.delenv("SPACE_ID", raising=False)
    assert bind_host(Settings()) == "127.0.0.1"
    monkeypatch.setenv("SPACE_ID", "someone/tro-ly")
    assert bind_host(Settings()) == "0.0.0.0"


def test_a_hub_model_offline_is_a_clear_error_not_a_hang(monkeypatch, tmp_path):
    from assistant.answer.llamacpp import local_model_path
    from assistant.config import Settings
    from assistant.errors import BackendUnavailableError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings = Settings(llm_hub_repo="Qwen/Qwen2.5-7B-Instruct-GGUF", llm_hub_file="q.gguf", model_cache_dir=tmp_path)
    with pytest.raises(BackendUnavailableError, match=r"Cannot get q\.gguf"):
        local_model_path(settings.answer)


def test_unconfigured_backends_are_explained(indexed):
    settings = indexed.settings.replace(openai_base_url=None, openai_api_key=None)
    reasons = type(indexed)(settings, embedder=indexed.embedder).available_backends()
    assert reasons["extractive"] == "" and "ASSISTANT_OPENAI_BASE_URL" in reasons["openai"]


def test_the_article_listing_survives_a_restart_without_reading_every_chunk(indexed, monkeypatch):
    from assistant.pipeline import Assistant

    restarted = Assistant(indexed.settings, embedder=indexed.embedder)
    monkeypatch.setattr(restarted.store, "all_chunks", lambda: pytest.fail("start-up read every chunk back"))
    articles = restarted.indexed_articles()  # from the index saved beside the store
    assert [a.doc_id for a in articles] == sorted(p.stem for p in indexed.settings.index.corpus_dir.glob("*.txt"))
    assert sum(a.chunks for a in articles) == restarted.store.count()
    assert articles == indexed.indexed_articles()


def test_a_large_corpus_is_summarised_not_listed_in_full(indexed):
    from assistant.app.ui import corpus_markdown, corpus_rows

    settings = indexed.settings.replace(ui_summary_articles=2, ui_table_articles=3)
    small = type(indexed)(settings, embedder=indexed.embedder)
    small.retriever = indexed.retriever
    text = corpus_markdown(small)
    assert text.startswith("**5 bài viết**") and text.count("\n- ") == 3 and "… và 3 bài khác" in text
    assert len(corpus_rows(small)) == 3
