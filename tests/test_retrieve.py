"""Hybrid retrieval on the real index of the seeds: dense ⊕ BM25, fused, duplicates collapsed."""

import dataclasses

import pytest

from tests.dev_regression import (
    ITU_DELEGATE_COUNTRIES_EN,
    VIETTEL_CEO,
    VIETTEL_CEO_NO_DIACRITICS,
    WHY_VIET_NAM_THEME_NO_DIACRITICS,
)


def _docs(retrieval, k=5):
    return [d for p in retrieval.passages[:k] for d in p.doc_ids]


def retrieve(assistant, question, k=10, history=()):
    return assistant.retrieve(assistant.analyse(question, history), k)


@pytest.mark.regression
@pytest.mark.parametrize(
    ("question", "doc"),
    [
        (VIETTEL_CEO, "003_b67893258f750185"),
        (VIETTEL_CEO_NO_DIACRITICS, "003_b67893258f750185"),  # typed without diacritics
        (WHY_VIET_NAM_THEME_NO_DIACRITICS, "002_f8a9d01e470f1569"),
        (ITU_DELEGATE_COUNTRIES_EN, "003_b67893258f750185"),
        ("Đại sứ Đặng Hoàng Giang gặp ai?", "004_420aa052df190f23"),
        ("Triển lãm trực tuyến có gian hàng 2D và 3D không?", "000_377d6bb99a16161c"),
    ],
)
def test_regression_finds_the_right_article(indexed, question, doc):
    retrieval = retrieve(indexed, question)
    assert doc in _docs(retrieval, 3)


def test_hybrid_scores_are_fused_and_sorted(indexed):
    passages = retrieve(indexed, "Houlin Zhao Tổng thư ký ITU", k=8).passages
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert any(p.bm25_score > 0 for p in passages) and any(p.dense_score > 0 for p in passages)


def test_repeated_passages_are_collapsed_and_keep_both_articles(indexed):
    passages = retrieve(indexed, "Hội nghị ASEAN về 5G là sáng kiến của Việt Nam thông báo năm 2018").passages
    asean = [p for p in passages if "Hội nghị ASEAN về 5G diễn ra ngay sau phiên toàn thể" in p.text]
    assert len(asean) == 1
    assert set(asean[0].doc_ids) == {"001_49942c841792d2c4", "002_f8a9d01e470f1569"}


@pytest.mark.regression
def test_regression_an_off_topic_question_is_far_from_every_passage(indexed):
    off = retrieve(indexed, "Công thức nấu phở bò ngon nhất là gì?")
    on = retrieve(indexed, VIETTEL_CEO)
    assert off.best_dense < indexed.settings.decide.min_dense_similarity <= on.best_dense


@pytest.mark.regression
def test_regression_bm25_is_saved_beside_the_index_and_loaded_not_rebuilt(fresh, monkeypatch):
    from assistant.index.bm25 import Bm25Index
    from assistant.index.indexer import bm25_cache_dir
    from assistant.pipeline import Assistant

    fresh.index()
    cache = bm25_cache_dir(fresh.settings.index, fresh.settings.answer.model_cache_dir)
    assert (cache / "index.json").is_file() and fresh.store.corpus_key()
    assert all("terms" in c.metadata for c in fresh.store.all_chunks())  # terms written with each chunk

    def no_rebuild(*_args, **_kwargs):
        raise AssertionError("BM25 was rebuilt although a matching saved index exists")

    monkeypatch.setattr(Bm25Index, "from_chunks", no_rebuild)
    restarted = Assistant(fresh.settings, embedder=fresh.embedder)
    assert restarted.retriever.chunk_count == fresh.store.count()
    top = retrieve(restarted, VIETTEL_CEO).passages[0]
    assert top.doc_id == "003_b67893258f750185"


def test_a_changed_corpus_invalidates_the_saved_bm25(fresh):
    fresh.index()
    key = fresh.store.corpus_key()
    (fresh.settings.index.corpus_dir / "new.txt").write_text(
        "Hải Phòng ra mắt cổng dịch vụ công số\nNgày 1/6/2023, Hải Phòng ra mắt cổng dịch vụ công số cho 15 quận.",
        encoding="utf-8",
    )
    fresh.index()
    assert fresh.store.corpus_key() != key
    assert retrieve(fresh, "Hải Phòng ra mắt cổng dịch vụ công số khi nào?").passages[0].doc_id == "new"


def test_a_translation_joins_the_ranking(indexed):
    # English words cannot match Vietnamese text in BM25; the question's Vietnamese search form can
    question = (
        "According to Deputy Minister Nguyễn Huy Dũng, by which year should the digital economy help Vietnam "
        "reach upper-middle income?"
    )
    translation = "Theo Thứ trưởng Nguyễn Huy Dũng, kinh tế số giúp Việt Nam đạt thu nhập trung bình cao vào năm nào?"
    query = indexed.analyse(question)
    assert query.english and query.search_vi == ""  # the extractive backend has no model to translate with
    alone = indexed.retrieve(query, 5)
    joined = indexed.retrieve(dataclasses.replace(query, search_vi=translation), 5)
    assert not any("2030" in p.text for p in alone.passages)
    assert any("2030" in p.text for p in joined.passages)
    assert joined.best_dense == alone.best_dense  # how on-topic it is stays the question's own measure


@pytest.mark.parametrize("pairs", [True, False])
def test_syllable_pairs_reward_the_words_in_the_corpus_order(pairs):
    """A question typed without diacritics gets no compounds from pyvi; the pair "hoc|phi" still
    finds the passage that says "học phí" over one with both syllables apart."""
    from assistant.index.bm25 import Bm25Index, with_pairs
    from assistant.lang.words import search_terms

    texts = ["Sinh viên đóng học phí theo tín chỉ", "Phí đăng ký của sinh viên học lại"]
    docs = [with_pairs(search_terms(t)) if pairs else search_terms(t) for t in texts]
    top = Bm25Index(["fee", "apart"], docs, pairs=pairs).search("hoc phi sinh vien", 2)[0][0]
    assert top == ("fee" if pairs else "apart")


def test_a_saved_bm25_of_another_pairs_setting_is_rebuilt(tmp_path):
    from assistant.index.bm25 import Bm25Index

    Bm25Index(["a"], [["hoc", "phi", "hoc|phi"]], pairs=True).save(tmp_path / "bm25", "key")
    assert Bm25Index.load(tmp_path / "bm25", "key", pairs=True) is not None
    assert Bm25Index.load(tmp_path / "bm25", "key", pairs=False) is None


def test_score_fusion_keeps_a_clear_lead_that_reciprocal_rank_loses():
    """Dense is sure of `a` (far ahead); BM25 barely orders `b`, `c`, `a`. Reciprocal rank sees
    only the ranks and puts `b` first; scaled scores keep dense's lead."""
    from assistant.retrieve import fused_scores

    dense = [("a", 0.95), ("b", 0.70), ("c", 0.69)]
    bm25 = [("b", 10.0), ("c", 9.9), ("a", 9.8)]
    scores = fused_scores([(0.6, dense), (0.4, bm25)], "scores", 60)
    assert max(scores, key=scores.get) == "a"
    assert scores["a"] == pytest.approx(0.6 + 0.4 * (9.8 - 9.8) / (10.0 - 9.8))
    rrf = fused_scores([(1.0, dense), (1.0, bm25)], "rrf", 60)
    assert max(rrf, key=rrf.get) == "b"


def test_a_list_of_equal_scores_counts_each_candidate_fully():
    from assistant.retrieve import fused_scores

    assert fused_scores([(0.4, [("x", 2.0), ("y", 2.0)])], "scores", 60) == {"x": 0.4, "y": 0.4}


def test_each_articles_first_chunk_is_kept_and_saved_with_the_bm25_index(tmp_path):
    from assistant.index.bm25 import Bm25Index
    from assistant.index.store import StoredChunk

    def chunk(cid: str, doc: str, index: int) -> StoredChunk:
        return StoredChunk(cid, doc, f"đoạn {cid}", {"index": index, "terms": f"doan {cid}", "title": doc})

    # listed out of order, as a store may return them: the first chunk is the one of index 0
    built = Bm25Index.from_chunks([chunk("a2", "a", 2), chunk("b0", "b", 0), chunk("a0", "a", 0), chunk("a1", "a", 1)])
    assert built.lead_ids == {"a": "a0", "b": "b0"}
    built.save(tmp_path / "bm25", "key")
    assert Bm25Index.load(tmp_path / "bm25", "key").lead_ids == {"a": "a0", "b": "b0"}
