import socket

import pytest

from assistant.config import Settings
from assistant.errors import StoreUnavailableError
from assistant.index.store import ChunkStore
from assistant.pipeline import Assistant


def test_first_index_adds_everything_then_nothing_changes(fresh):
    first = fresh.index()
    assert first.added > 50 and first.updated == first.removed == first.unchanged == 0
    assert fresh.store.count() == first.added
    again = fresh.index()
    assert (again.added, again.updated, again.removed) == (0, 0, 0)
    assert again.unchanged == first.added


def test_editing_one_article_changes_only_its_chunks(fresh):
    fresh.index()
    before = {c.id: c.doc_id for c in fresh.store.all_chunks()}
    path = fresh.settings.index.corpus_dir / "004_420aa052df190f23.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Đặng Hoàng Giang", "Nguyễn Văn Thử"), encoding="utf-8")

    report = fresh.index()
    after = {c.id: c.doc_id for c in fresh.store.all_chunks()}
    changed = set(before) ^ set(after)
    assert changed and {before.get(i) or after.get(i) for i in changed} == {"004_420aa052df190f23"}
    assert report.updated >= 1 and report.unchanged == len(after) - report.updated - report.added
    assert any("Nguyễn Văn Thử" in c.text for c in fresh.store.all_chunks())
    assert not any("Đặng Hoàng Giang" in c.text for c in fresh.store.all_chunks())


def test_removing_an_article_deletes_its_chunks(fresh):
    fresh.index()
    (fresh.settings.index.corpus_dir / "002_f8a9d01e470f1569.txt").unlink()
    report = fresh.index()
    assert report.removed > 0 and report.added == 0
    assert {c.doc_id for c in fresh.store.all_chunks()} == {
        "000_377d6bb99a16161c",
        "001_49942c841792d2c4",
        "003_b67893258f750185",
        "004_420aa052df190f23",
    }


def test_changed_chunking_settings_force_a_rebuild(fresh, tmp_path):
    fresh.index()
    other = Assistant(fresh.settings.replace(chunk_tokens=120), embedder=fresh.embedder)
    report = other.index()
    assert report.rebuilt and report.unchanged == 0
    assert other.store.count() == report.added
    stored = other.store.all_chunks()
    body = [c for c in stored if int(c.metadata["index"]) >= 0]  # header cards (index -1) are no slice of the body
    assert all(int(c.metadata["end"]) > int(c.metadata["start"]) for c in body)
    assert len(stored) - len(body) == 4  # one card per seed article with a byline, date or source


def test_rebuild_flag(fresh):
    fresh.index()
    report = fresh.index(rebuild=True)
    assert report.rebuilt and report.unchanged == 0 and report.added == fresh.store.count()


def test_dense_query_returns_similarities(indexed):
    vec = indexed.embedder.embed_queries(["Tổng Giám đốc Viettel"])[0]
    hits = indexed.store.query(vec, 3)
    assert len(hits) == 3 and hits[0][1] >= hits[1][1] >= hits[2][1]
    assert 0.5 < hits[0][1] <= 1.0


def test_unreachable_server_is_a_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    store = ChunkStore(Settings(chroma_host="127.0.0.1", chroma_port=port).index, {"m": "x"})
    with pytest.raises(StoreUnavailableError, match="chroma run"):
        store.count()


def test_settings_select_http_client():
    settings = Settings(chroma_host="127.0.0.1", chroma_port=1)
    assert Assistant(settings).store.location == "chroma server 127.0.0.1:1"
