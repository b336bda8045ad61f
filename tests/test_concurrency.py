"""Twenty people at once: simultaneous gradio_client sessions against the real app (extractive backend).

Every request must be answered, each answer must belong to its own session's conversation (no
history cross-talk), and waiting requests must see their queue position. Throughput and latency
are written to test-artifacts/concurrency.json (and quoted in the README), never asserted.
"""

from __future__ import annotations

import json
import statistics
import threading
import time

import pytest

from tests.dev_regression import ITU_FORMAT, VIDW_OPENING_DELEGATES, VIDW_THEME, VIETTEL_CEO
from tests.test_app import ARTIFACTS, start_app

pytestmark = pytest.mark.slow

SESSIONS = 20
ITU_2021 = {"000_377d6bb99a16161c", "003_b67893258f750185"}
VIDW_2022 = {"001_49942c841792d2c4", "002_f8a9d01e470f1569"}
# (first question, the articles that answer it); each session's follow-up must stay on its own topic
TOPICS = [
    (VIETTEL_CEO, {"003_b67893258f750185"}),
    (VIDW_THEME, VIDW_2022),
    (ITU_FORMAT, ITU_2021),
    (VIDW_OPENING_DELEGATES, VIDW_2022),
]
FOLLOW_UP = "Hãy nói thêm về điều đó."


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    proc, url, _log = start_app(tmp_path_factory.mktemp("concurrency"))
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.regression
def test_regression_twenty_simultaneous_sessions_are_all_answered_without_cross_talk(app_url):
    from gradio_client import Client

    results: list[dict] = [{} for _ in range(SESSIONS)]
    start = threading.Barrier(SESSIONS)

    def session(i: int) -> None:
        question, _ = TOPICS[i % len(TOPICS)]
        try:
            client = Client(app_url, verbose=False)
            start.wait()
            t0 = time.perf_counter()
            job = client.submit(question, [], api_name="/ask")
            ranks = []
            while not job.done():
                status = job.status()
                if status.rank is not None:
                    ranks.append(status.rank)
                time.sleep(0.05)
            text, answer = job.result()
            first_s = time.perf_counter() - t0
            history = [{"role": "user", "content": question}, {"role": "assistant", "content": text}]
            t1 = time.perf_counter()
            _text2, follow = client.predict(FOLLOW_UP, history, api_name="/ask")
            results[i] = {
                "first_doc": answer["citations"][0]["doc_id"] if answer["citations"] else None,
                "follow_docs": [r["doc_id"] for r in follow["retrieved"][:3]],
                "question_echo": answer["question"],
                "latencies": [first_s, time.perf_counter() - t1],
                "max_rank": max(ranks, default=0),
            }
        except Exception as exc:  # recorded, so one failure does not hide the others
            results[i] = {"error": repr(exc)}

    t_start = time.perf_counter()
    threads = [threading.Thread(target=session, args=(i,)) for i in range(SESSIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    wall = time.perf_counter() - t_start

    errors = [r["error"] for r in results if "error" in r]
    assert not errors, errors
    for i, r in enumerate(results):
        question, gold = TOPICS[i % len(TOPICS)]
        assert r["question_echo"] == question  # each session got the answer to its own question
        assert r["first_doc"] in gold
        assert gold & set(r["follow_docs"])  # the follow-up was read with this session's history only
    assert max(r["max_rank"] for r in results) > 0  # requests waited in the queue and saw their place

    latencies = sorted(x for r in results for x in r["latencies"])
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "concurrency.json").write_text(
        json.dumps(
            {
                "backend": "extractive",
                "sessions": SESSIONS,
                "requests": len(latencies),
                "wall_s": round(wall, 2),
                "throughput_rps": round(len(latencies) / wall, 2),
                "p50_s": round(statistics.median(latencies), 2),
                "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2),
                "max_queue_position": max(r["max_rank"] for r in results),
            },
            indent=2,
        )
    )


@pytest.mark.regression
def test_regression_a_smaller_round_with_the_local_model_is_queued_and_answered(tmp_path):
    """Three sessions at once against one local model instance: served one by one, all answered."""
    pytest.importorskip("llama_cpp", reason="the llm extra is not installed")
    from gradio_client import Client

    proc, url, _log = start_app(tmp_path, backend="local")
    try:
        clients = [Client(url, verbose=False) for _ in range(3)]
        t0 = time.perf_counter()
        jobs = [c.submit(TOPICS[i][0], [], api_name="/ask") for i, c in enumerate(clients)]
        answers = [job.result(timeout=600) for job in jobs]
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    for (question, gold), (_text, answer) in zip(TOPICS, answers, strict=False):
        assert answer["question"] == question and answer["backend"] in ("local", "extractive")
        assert answer["refused"] or {c["doc_id"] for c in answer["citations"]} & gold
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "concurrency-local.json").write_text(
        json.dumps(
            {"backend": "local", "sessions": 3, "wall_s": round(wall, 1), "answers": [a[1]["backend"] for a in answers]}
        )
    )
