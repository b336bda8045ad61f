"""PDF and Word files: their text, pages, headings and metadata, read from files made here."""

from __future__ import annotations

import io
from datetime import date

import pytest

from assistant.errors import InvalidInputFileError
from assistant.ingest.chunking import chunk_article, tiktoken_counter
from assistant.ingest.corpus import load_corpus
from assistant.ingest.formats import read_document, repair_pdf_text
from assistant.ingest.upload import check_upload
from tests.documents import HEADER, make_docx, make_pdf, make_scanned_pdf, seed_paragraphs


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def pages() -> list[list[str]]:
    _title, paragraphs = seed_paragraphs(n=9)
    return [paragraphs[0:3], paragraphs[3:6], paragraphs[6:9]]


@pytest.mark.parametrize("defect", ["clean", "decomposed", "spaced_marks"])
def test_a_pdf_keeps_its_text_pages_and_metadata(pages, defect):
    raw = make_pdf(
        pages,
        title="Báo cáo Hội nghị ITU",
        author="Nguyễn Văn A",
        decomposed=defect == "decomposed",
        spaced_marks=defect == "spaced_marks",
    )
    article = read_document("bao-cao", "bao-cao.pdf", raw)
    assert article.title == "Báo cáo Hội nghị ITU" and article.author == "Nguyễn Văn A"
    assert article.date == date.today().strftime("%d/%m/%Y")
    assert [n for _, n in article.pages] == [1, 2, 3]
    body = flat(article.body)
    for number, paragraphs in enumerate(pages, start=1):
        for p in paragraphs:
            assert flat(p) in body  # NFC, no stray space inside a word, lines joined back
            assert article.page_at(article.body.index(p.split()[0] + " " + p.split()[1])) is not None
        first = paragraphs[0]
        assert article.page_at(article.body.index(first[:30])) == number
    assert HEADER not in article.body and "Trang 2" not in article.body  # running header and page numbers


def test_a_pdf_chunk_stays_on_one_page_and_knows_it(pages):
    article = read_document("bao-cao", "bao-cao.pdf", make_pdf(pages))
    chunks = chunk_article(article, tiktoken_counter(), max_tokens=120, overlap_tokens=30)
    chunks = [c for c in chunks if int(c.metadata["index"]) >= 0]  # the metadata card is on no page
    assert {c.metadata["page"] for c in chunks} == {1, 2, 3}
    for chunk in chunks:
        page_text = flat(" ".join(pages[int(chunk.metadata["page"]) - 1]))
        assert flat(chunk.text) in page_text


def test_repair_closes_letter_spacing_and_glues_marks():
    assert repair_pdf_text("Vie\u0323 \u0302t Nam") == "Việt Nam"
    assert repair_pdf_text("C H U Y Ể N  Đ Ổ I  S Ố  Q U Ố C  G I A") == "CHUYỂN ĐỔI SỐ QUỐC GIA"
    assert repair_pdf_text("Hà Nội là thủ đô của Việt Nam") == "Hà Nội là thủ đô của Việt Nam"


def test_a_scanned_pdf_is_refused_with_a_reason():
    with pytest.raises(InvalidInputFileError) as info:
        check_upload("ban-quet.pdf", make_scanned_pdf(), max_bytes=20_000_000)
    assert "không có lớp chữ" in info.value.vi


def test_a_password_protected_or_broken_pdf_is_refused_with_a_reason(pages):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(pages))))
    writer.encrypt("mat-khau", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(InvalidInputFileError) as info:
        check_upload("khoa.pdf", locked.getvalue(), max_bytes=20_000_000)
    assert "mật khẩu" in info.value.vi
    with pytest.raises(InvalidInputFileError) as info:
        check_upload("hong.pdf", make_pdf(pages)[:2000], max_bytes=20_000_000)
    assert "không phải PDF đọc được" in info.value.vi


def test_a_word_file_keeps_headings_tables_and_metadata():
    _title, paragraphs = seed_paragraphs(name="002_f8a9d01e470f1569", n=6)
    raw = make_docx(
        "Tuần lễ Số quốc tế",
        [("Khai mạc", paragraphs[:3]), ("Kết quả", paragraphs[3:])],
        table=[["Hạng mục", "Số lượng"], ["Khách mời", "500"]],
        author="Ban tổ chức",
    )
    article = read_document("tuan-le", "tuan-le.docx", raw)
    assert article.title == "Tuần lễ Số quốc tế" and article.author == "Ban tổ chức" and article.date == "14/11/2022"
    assert [h for _, h in article.headings] == ["Tuần lễ Số quốc tế", "Khai mạc", "Kết quả"]
    assert "Khách mời | 500" in article.paragraphs
    assert article.section_at(article.body.index(paragraphs[4][:30])) == "Kết quả"
    chunks = chunk_article(article, tiktoken_counter(), max_tokens=120, overlap_tokens=0)
    assert {c.metadata.get("section") for c in chunks} >= {"Khai mạc", "Kết quả"}
    with pytest.raises(InvalidInputFileError) as info:
        check_upload("hong.docx", b"PK\x03\x04 not really a zip", max_bytes=20_000_000)
    assert "Word" in info.value.vi


def test_sub_folders_are_read_and_ids_keep_the_relative_path(tmp_path, pages, caplog):
    (tmp_path / "bao-cao" / "2021").mkdir(parents=True)
    (tmp_path / "bao-cao" / "2021" / "itu.pdf").write_bytes(make_pdf(pages))
    (tmp_path / "tuan-le.docx").write_bytes(make_docx("Tuần lễ Số", [("Mở đầu", pages[0])]))
    (tmp_path / "tuan-le.txt").write_text("Tuần lễ Số\n" + "\n".join(pages[1]), encoding="utf-8")
    (tmp_path / ".an").mkdir()
    (tmp_path / ".an" / "x.txt").write_text("\n".join(pages[2]), encoding="utf-8")
    articles = {a.id: a for a in load_corpus(tmp_path)}
    assert set(articles) == {"bao-cao/2021/itu", "tuan-le"}
    assert articles["tuan-le"].headings == ()  # the .txt comes first; the .docx of the same id is skipped
    assert "tuan-le.docx" in caplog.text
