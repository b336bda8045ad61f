"""A managed corpus: add, replace and remove articles, with Chroma, BM25, the listing and the folder in step."""

from __future__ import annotations

import json

import pytest

from assistant.errors import ArticleExistsError, ArticleNotFoundError
from assistant.ingest.corpus import load_corpus
from tests.dev_regression import VIDW_THEME_WITHOUT_VIET_NAM
from tests.documents import make_docx, make_pdf, seed_paragraphs


def assert_consistent(assistant) -> set[str]:
    """The four views of the corpus agree: files, Chroma chunks, BM25 chunks, the app's listing."""
    on_disk = {a.id for a in load_corpus(assistant.settings.index.corpus_dir)}
    stored = assistant.store.all_chunks()
    in_chroma = {c.doc_id for c in stored}
    assert set(assistant.retriever.bm25.ids) == {c.id for c in stored}
    listed = {a.doc_id for a in assistant.indexed_articles()}
    assert on_disk == in_chroma == listed
    return on_disk


@pytest.fixture(scope="module")
def itu_pages() -> list[list[str]]:
    _title, paragraphs = seed_paragraphs(n=9)
    return [paragraphs[0:3], paragraphs[3:6], paragraphs[6:9]]


def test_a_pdf_answer_cites_its_page(fresh, itu_pages):
    fresh.index()
    raw = make_pdf([["Phụ lục báo cáo về hạ tầng viễn thông của các tỉnh miền núi phía Bắc."] * 3, *itu_pages])
    fresh.add_article("bao-cao-itu.pdf", raw)
    assert (fresh.settings.index.corpus_dir / "bao-cao-itu.pdf").read_bytes() == raw  # the original is kept
    target = itu_pages[1][0]  # on page 3 of the PDF (page 1 is the appendix)
    passages = fresh.retriever.retrieve(fresh.analyse(target[:160]), 5).passages
    hit = next(p for p in passages if p.doc_id == "bao-cao-itu")
    assert hit.page == 3
    answer = fresh.ask(target[:160])
    pdf_citations = [c for c in answer.to_json()["citations"] if c["doc_id"] == "bao-cao-itu"]
    assert pdf_citations and all(isinstance(c["page"], int) and c["page"] >= 2 for c in pdf_citations)
    assert_consistent(fresh)


def test_remove_and_replace_keep_every_view_in_step(fresh, itu_pages):
    fresh.index()
    before = assert_consistent(fresh)
    docx = make_docx("Tuần lễ Số", [("Khai mạc", itu_pages[0])])
    fresh.add_article("tuan-le.docx", docx)
    assert assert_consistent(fresh) == before | {"tuan-le"}
    with pytest.raises(ArticleExistsError):
        fresh.add_article("tuan-le.docx", docx)
    pdf = make_pdf([["Bản thay thế: Hội nghị bàn về an toàn thông tin mạng và bảo vệ dữ liệu cá nhân."] * 2])
    fresh.add_article("tuan-le.pdf", pdf, replace=True)  # another format, same id: the old file goes
    assert assert_consistent(fresh) == before | {"tuan-le"}
    files = sorted(p.name for p in fresh.settings.index.corpus_dir.iterdir())
    assert "tuan-le.pdf" in files and "tuan-le.docx" not in files and not [f for f in files if f.startswith(".")]
    texts = " ".join(c.text for c in fresh.store.all_chunks() if c.doc_id == "tuan-le")
    assert "an toàn thông tin" in texts and itu_pages[0][0][:40] not in texts
    fresh.remove_article("tuan-le")
    assert assert_consistent(fresh) == before
    answer = fresh.ask("Hội nghị bàn về an toàn thông tin mạng và bảo vệ dữ liệu cá nhân như thế nào?")
    assert all(c.doc_id != "tuan-le" for c in answer.citations)
    with pytest.raises(ArticleNotFoundError):
        fresh.remove_article("tuan-le")


def test_a_change_that_fails_half_way_loses_nothing(fresh, itu_pages, monkeypatch):
    fresh.index()
    fresh.add_article("tuan-le.docx", make_docx("Tuần lễ Số", [("Khai mạc", itu_pages[0])]))
    before = assert_consistent(fresh)
    chunks_before = {c.id for c in fresh.store.all_chunks()}
    real_sync = fresh.store.sync
    calls = []

    def sync_that_fails_once(chunks, embed, rebuild=False):
        calls.append(1)
        if len(calls) == 1:
            real_sync([c for c in chunks if c.doc_id != "tuan-le"][:3], embed)  # half the change is done…
            raise OSError("disk full")  # …then it fails
        return real_sync(chunks, embed, rebuild=rebuild)

    monkeypatch.setattr(fresh.store, "sync", sync_that_fails_once)
    pdf = make_pdf([["Bản thay thế về an toàn thông tin mạng và bảo vệ dữ liệu cá nhân ở Việt Nam."] * 2])
    with pytest.raises(OSError):
        fresh.add_article("tuan-le.pdf", pdf, replace=True)
    assert assert_consistent(fresh) == before and {c.id for c in fresh.store.all_chunks()} == chunks_before
    calls.clear()
    with pytest.raises(OSError):
        fresh.remove_article("001_49942c841792d2c4")
    assert assert_consistent(fresh) == before and {c.id for c in fresh.store.all_chunks()} == chunks_before


@pytest.mark.regression
def test_regression_the_remove_command(tmp_path, monkeypatch, capsys):
    from assistant.app.cli import main
    from tests.conftest import copy_seeds

    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(copy_seeds(tmp_path / "seeds")))
    monkeypatch.setenv("ASSISTANT_PERSIST_DIR", str(tmp_path / "vectorstore"))
    monkeypatch.setenv("ASSISTANT_LLM", "extractive")
    assert main(["index"]) == 0
    assert main(["remove", "004_420aa052df190f23"]) == 0
    assert "Removed 004_420aa052df190f23" in capsys.readouterr().out
    assert not (tmp_path / "seeds" / "004_420aa052df190f23.txt").exists()
    assert main(["remove", "004_420aa052df190f23"]) == 2
    assert "No article with id" in capsys.readouterr().err
    assert main(["ask", "--json", VIDW_THEME_WITHOUT_VIET_NAM]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert all(c["doc_id"] != "004_420aa052df190f23" for c in shown["citations"])


def test_a_replaced_article_brings_its_new_opening_sentence_not_a_cached_one(fresh):
    fresh.index()

    def article(opening: str) -> bytes:
        body = f"{opening} Hội thảo bàn về an toàn thông tin mạng và dữ liệu cá nhân tại Cần Thơ."
        return f"Hội thảo an toàn dữ liệu\n\n{body}\n\n{body}\n".encode()

    question = "Hội thảo an toàn thông tin mạng và dữ liệu cá nhân tổ chức ở đâu?"

    def about() -> str:
        query = fresh.analyse(question)
        return next(p.about for p in fresh.retrieve(query).passages if p.doc_id == "hoi-thao")

    fresh.add_article("hoi-thao.txt", article("Sáng 3/12, Sở Thông tin và Truyền thông khai mạc hội thảo."))
    assert about().startswith("Sáng 3/12")  # read from the store, then kept
    fresh.add_article("hoi-thao.txt", article("Chiều 5/12, Hiệp hội An toàn thông tin tổng kết năm."), replace=True)
    assert about().startswith("Chiều 5/12")
