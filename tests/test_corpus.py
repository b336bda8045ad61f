import logging

import pytest

from assistant.errors import InvalidInputFileError
from assistant.ingest.corpus import decode_text, find_repeated_passages, load_article, load_corpus, parse_article


@pytest.fixture(scope="module")
def articles(seeds_dir):
    return {a.id: a for a in load_corpus(seeds_dir)}


def test_all_seed_articles_load_with_ids_from_file_names(articles):
    assert sorted(articles) == [
        "000_377d6bb99a16161c",
        "001_49942c841792d2c4",
        "002_f8a9d01e470f1569",
        "003_b67893258f750185",
        "004_420aa052df190f23",
    ]


def test_titles_dates_authors_sources(articles):
    a0 = articles["000_377d6bb99a16161c"]
    assert a0.title == "Tăng cường hợp tác chuyển đổi số, thu hẹp khoảng cách số giữa các quốc gia"
    assert (a0.author, a0.date, a0.time) == ("Thu Anh", "12/10/2021", "21:30")
    assert articles["001_49942c841792d2c4"].title == "Tăng cường hợp tác hướng tới 'một ASEAN số'"
    assert (articles["001_49942c841792d2c4"].date, articles["001_49942c841792d2c4"].time) == ("11/10/2022", "18:38")
    assert articles["003_b67893258f750185"].title == "Sứ mệnh khác biệt của chuyển đổi số"
    assert articles["003_b67893258f750185"].source == "ictvietnam.vn"
    a4 = articles["004_420aa052df190f23"]
    assert a4.title == "Việt Nam, Liên hợp quốc thúc đẩy hợp tác chuyển đổi số"
    assert (a4.date, a4.views) == ("28/12/2022", "913")
    assert a4.source == "Trang Zalo OA - Chuyển đổi số quốc gia"


@pytest.mark.parametrize(
    "furniture",
    [
        ".jpg",
        "Bài liên quan",
        "Bình luận",
        "Nổi bật",
        "POWERED BY",
        "0:00",
        "- Ảnh:",
        "Các tin tức khác",
        "Xem chi tiết",
        "Đọc tiếp",
        "lượt xem",
        "Nguồn:",
        "ĐBSCL khát khô",
        "Hình ảnh các đại biểu tham dự trực tuyến",
    ],
)
def test_page_furniture_is_gone_from_every_body(articles, furniture):
    for a in articles.values():
        assert furniture not in a.body, (a.id, furniture)


def test_content_is_kept(articles):
    assert "160.000 người đã đến thăm triển lãm số" in articles["003_b67893258f750185"].body
    assert "Lê Đăng Dũng" in articles["003_b67893258f750185"].body
    # the sapo above the byline is content; repeated below it, it is kept once
    assert articles["000_377d6bb99a16161c"].body.count("chính thức được khai mạc") == 1


def test_bodies_are_normalised(articles):
    assert "hoà bình" in articles["001_49942c841792d2c4"].body  # "hoà" kept in one spelling


def test_repeated_passages_between_001_and_002(articles):
    repeated = find_repeated_passages(list(articles.values()), 0.6)
    pairs = {(r.doc_id, r.other_doc_id) for r in repeated}
    assert ("001_49942c841792d2c4", "002_f8a9d01e470f1569") in pairs
    assert all(r.overlap >= 0.6 for r in repeated)
    assert not any("000" in r.doc_id and "004" in r.other_doc_id for r in repeated)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "no article text"),
        ("blank.txt", b"   \n\n  ", "no article text"),
        ("binary.txt", b"\x00\x01\x02\x89PNG", "binary"),
        ("cp1258.txt", b"H\xe0 N\xf4\xf2i l\xe0 th\xf4\xf0 \xf0\xf4", "not UTF-8"),  # Windows-1258
    ],
)
def test_bad_files_are_skipped_with_a_warning_naming_them(tmp_path, caplog, name, content, message):
    (tmp_path / "good.txt").write_text("Tiêu đề\nMột đoạn văn có nội dung đầy đủ về chuyển đổi số.", encoding="utf-8")
    (tmp_path / name).write_bytes(content)
    with caplog.at_level(logging.WARNING):
        loaded = load_corpus(tmp_path)
    assert [a.id for a in loaded] == ["good"]
    assert name in caplog.text and message in caplog.text


def test_utf16_with_bom_is_read(tmp_path):
    path = tmp_path / "u16.txt"
    path.write_bytes("Tiêu đề\nChuyển đổi số là chuyển đổi tư duy.".encode("utf-16"))
    assert "Chuyển đổi số" in load_article(path).body


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidInputFileError, match="not found"):
        load_corpus(tmp_path / "nope")


def test_decode_refuses_invalid_utf8():
    with pytest.raises(InvalidInputFileError):
        decode_text(b"\xff\xfe\xfd abc"[2:] + b"\xc3\x28")


def test_article_without_title_gets_one_from_its_first_sentence():
    a = parse_article("x", "Một câu mở đầu rất dài về chuyển đổi số ở Việt Nam. Câu thứ hai.\nĐoạn hai.")
    assert a.title == "Một câu mở đầu rất dài về chuyển đổi số ở Việt Nam."
    assert a.paragraphs[0].startswith("Một câu mở đầu")
