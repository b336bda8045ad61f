"""What a person waits for in the app: Enter → first streamed token → answer with sources, in Chromium.

Usage: python benchmarks/app_latency.py [--backends extractive local] [--limit 5]
       [--out benchmarks/results/app_latency.json]

Starts the real app (`python app.py`) once per backend on a copy of the seeds, opens it in headless
Chromium and asks the first answerable, stand-alone questions of eval/questions.jsonl, timing in
the page with a MutationObserver (tests/test_app.py): the passages shown (`sources_s`), the first
token of the answer, the finished answer. Start-up is reported twice: until the page answers HTTP
(`startup_s`), and until `/health` says the model is loaded and primed (`ready_s`); questions are
asked after that, so `first_vs_median` (the first question's times over the median's) and
`first_vs_repeat` (over the same question asked again at the end) say what the first question after
start-up still costs more than the others.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ holds the page helpers

from assistant.evaluation.dataset import load_questions
from benchmarks.machine import machine
from tests.test_app import ask_in_page, new_browser, start_app


def measure(backend: str, questions: list[str]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc, url, _log = start_app(Path(tmp), backend)
        startup_s = time.perf_counter() - t0
        while not json.load(urllib.request.urlopen(url + "health", timeout=10))["ready"]:
            time.sleep(0.2)
        ready_s = time.perf_counter() - t0
        driver, _profile = new_browser()
        try:
            rows = []
            for q in [*questions, questions[0]]:  # the first again at the end: its warm cost
                driver.get(url)  # a fresh conversation per question: no history effects
                rows.append({"question": q, **ask_in_page(driver, url, q)})
                r = rows[-1]
                times = f"sources {r['sources_s']:5.2f} s  first token {r['first_token_s']:6.2f} s"
                print(f"{backend:10s} {times}  done {r['done_s']:6.2f} s")
        finally:
            driver.quit()
            proc.terminate()
            proc.wait(timeout=30)
    repeat = rows.pop()
    med = {
        k: round(statistics.median(r[k] for r in rows), 3) for k in ("shown_s", "sources_s", "first_token_s", "done_s")
    }
    for r in [*rows, repeat]:
        r.pop("preview", None)
    return {
        "backend": backend,
        "startup_s": round(startup_s, 1),
        "ready_s": round(ready_s, 1),
        "median": med,
        "max_sources_s": max(r["sources_s"] for r in rows),
        "first_vs_median": {k: round(rows[0][k] / med[k], 2) for k in ("first_token_s", "done_s")},
        # the same question asked again last: what being first costs, without the question's own length
        "first_vs_repeat": {k: round(rows[0][k] / repeat[k], 2) for k in ("sources_s", "first_token_s", "done_s")},
        "repeat_of_first": repeat,
        "questions": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--backends", nargs="+", default=["extractive", "local"])
    parser.add_argument("--limit", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/app_latency.json"))
    args = parser.parse_args()
    questions = [q.question for q in load_questions(args.questions) if q.answerable and not q.history][: args.limit]
    results = [measure(backend, questions) for backend in args.backends]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"machine": machine(), "results": results}, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    for r in results:
        print(f"{r['backend']}: start-up {r['startup_s']} s, ready {r['ready_s']} s, median {r['median']}")
        print(f"  first question / median: {r['first_vs_median']}, / itself asked last: {r['first_vs_repeat']}")


if __name__ == "__main__":
    main()
