import pytest

from assistant.retrieval import AnswerabilityModel


def _docs(retrieval, k=5):
    return [d for p in retrieval.passages[:k] for d in p.doc_ids]


@pytest.mark.parametrize(
    ("question", "doc"),
    [
        ("Ai là Tổng Giám đốc Tập đoàn Viettel?", "003_b67893258f750185"),
        ("Tong giam doc tap doan Viettel la ai?", "003_b67893258f750185"),  # typed without diacritics
        ("Toa dam Why Viet Nam 2022 co chu de gi?", "002_f8a9d01e470f1569"),
        ("How many countries did the ITU Digital World 2021 delegates come from?", "003_b67893258f750185"),
        ("Đại sứ Đặng Hoàng Giang gặp ai?", "004_420aa052df190f23"),
        ("Triển lãm trực tuyến có gian hàng 2D và 3D không?", "000_377d6bb99a16161c"),
    ],
)
def test_finds_the_right_article(indexed, question, doc):
    retrieval = indexed.retrieve(question)
    assert doc in _docs(retrieval, 3)
    assert retrieval.answerable


def test_hybrid_scores_are_fused_and_sorted(indexed):
    passages = indexed.retrieve("Houlin Zhao Tổng thư ký ITU", k=8).passages
    scores = [p.score for p in passages]
    assert scores == sorted(scores, reverse=True)
    assert any(p.bm25_score > 0 for p in passages) and any(p.dense_score > 0 for p in passages)


def test_repeated_passages_are_collapsed_and_keep_both_articles(indexed):
    passages = indexed.retrieve("Hội nghị ASEAN về 5G là sáng kiến của Việt Nam thông báo năm 2018", k=10).passages
    asean = [p for p in passages if "Hội nghị ASEAN về 5G diễn ra ngay sau phiên toàn thể" in p.text]
    assert len(asean) == 1
    assert set(asean[0].doc_ids) == {"001_49942c841792d2c4", "002_f8a9d01e470f1569"}


def test_off_topic_question_is_not_answerable(indexed):
    assert not indexed.retrieve("Công thức nấu phở bò ngon nhất là gì?").answerable


def test_question_naming_a_number_absent_from_the_articles_is_not_answerable(indexed):
    retrieval = indexed.retrieve("Ai là Tổng thư ký ITU năm 2024?")
    assert retrieval.features["missing_numbers"] >= 1 and not retrieval.answerable


def test_answerability_model_floors():
    model = AnswerabilityModel(min_dense=0.8, min_dense_en=0.75)
    assert model.answerable({"dense": 0.81, "english": 0.0, "missing_numbers": 0.0})
    assert not model.answerable({"dense": 0.79, "english": 0.0, "missing_numbers": 0.0})
    assert model.answerable({"dense": 0.76, "english": 1.0, "missing_numbers": 0.0})
    assert not model.answerable({"dense": 0.95, "english": 0.0, "missing_numbers": 1.0})
    folded = {"dense": 0.7, "english": 0.0, "missing_numbers": 0.0, "folded": 1.0}
    assert model.answerable(folded | {"coverage": 0.9}) and not model.answerable(folded | {"coverage": 0.3})


def test_bm25_is_saved_beside_the_index_and_loaded_not_rebuilt(fresh, monkeypatch):
    from assistant.pipeline import Assistant
    from assistant.retrieval import Bm25Index

    fresh.index()
    cache = Assistant.bm25_cache_dir(fresh.settings)
    assert (cache / "index.json").is_file() and fresh.store.corpus_key()
    assert all("terms" in c.metadata for c in fresh.store.all_chunks())  # terms written with each chunk

    def no_rebuild(*_args, **_kwargs):
        raise AssertionError("BM25 was rebuilt although a matching saved index exists")

    monkeypatch.setattr(Bm25Index, "from_chunks", no_rebuild)
    restarted = Assistant(fresh.settings, embedder=fresh.embedder)
    assert restarted.retriever.chunk_count == fresh.store.count()
    top = restarted.retrieve("Ai là Tổng Giám đốc Tập đoàn Viettel?").passages[0]
    assert top.doc_id == "003_b67893258f750185"


def test_a_changed_corpus_invalidates_the_saved_bm25(fresh):
    fresh.index()
    key = fresh.store.corpus_key()
    (fresh.settings.corpus_dir / "new.txt").write_text(
        "Hải Phòng ra mắt cổng dịch vụ công số\nNgày 1/6/2023, Hải Phòng ra mắt cổng dịch vụ công số cho 15 quận.",
        encoding="utf-8",
    )
    fresh.index()
    assert fresh.store.corpus_key() != key
    assert fresh.retrieve("Hải Phòng ra mắt cổng dịch vụ công số khi nào?").passages[0].doc_id == "new"


def test_a_translation_joins_the_ranking_but_not_the_verdict(indexed):
    # English words cannot match Vietnamese text in BM25; the question's Vietnamese can
    question = "According to Deputy Minister Nguyễn Huy Dũng, by which year should the digital economy help Vietnam reach upper-middle income?"  # noqa: E501
    translation = "Theo Thứ trưởng Nguyễn Huy Dũng, kinh tế số giúp Việt Nam đạt thu nhập trung bình cao vào năm nào?"
    alone = indexed.retriever.retrieve(question, 5, english=True)
    joined = indexed.retriever.retrieve(question, 5, english=True, translation=translation)
    assert not any("2030" in p.text for p in alone.passages)
    assert any("2030" in p.text for p in joined.passages)
    assert joined.translation == translation and joined.answerable == alone.answerable
    assert joined.features["dense"] == alone.features["dense"]  # the verdict is the question's own
