"""What the OpenAI-compatible endpoint costs over Gradio's `/ask`: the same question, both ways, median of 10.

Usage: python benchmarks/api_overhead.py [--backends extractive local] [--repeats 10]
       [--out benchmarks/results/api_overhead.json]

Starts the real app (`python app.py`) once per backend on a copy of the seeds and asks one
question through `gradio_client` (`/ask`), the official `openai` client (non-streaming) and the
`openai` client streaming (time to the last chunk), alternating the three so drift hits them
alike. The extractive backend shows the endpoint's own overhead (the answer takes milliseconds);
the local model shows what it is next to a real answer. Records the CPU with the timings.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import machine
from tests.test_app import start_app

QUESTION = "Ai là Tổng Giám đốc Tập đoàn Viettel?"


def measure(backend: str, repeats: int) -> dict:
    from gradio_client import Client
    from openai import OpenAI

    with tempfile.TemporaryDirectory() as tmp:
        proc, url, _log = start_app(Path(tmp), backend)
        try:
            gradio = Client(url, verbose=False)
            openai = OpenAI(base_url=url + "v1", api_key="-", timeout=600)
            messages = [{"role": "user", "content": QUESTION}]

            def via_ask() -> str:
                return gradio.predict(QUESTION, [], api_name="/ask")[0]

            def via_openai() -> str:
                reply = openai.chat.completions.create(model="tro-ly-chuyen-doi-so", messages=messages)
                return reply.choices[0].message.content

            def via_stream() -> str:
                chunks = openai.chat.completions.create(model="tro-ly-chuyen-doi-so", messages=messages, stream=True)
                return "".join(c.choices[0].delta.content or "" for c in chunks)

            ways = {"gradio_ask": via_ask, "openai": via_openai, "openai_stream": via_stream}
            texts = {name: fn() for name, fn in ways.items()}  # warm-up (model load, caches)
            times: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(repeats):
                for name, fn in ways.items():
                    t0 = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - t0)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    median = {name: round(statistics.median(ts), 4) for name, ts in times.items()}
    return {
        "backend": backend,
        "median_s": median,
        "overhead_vs_ask_s": {n: round(median[n] - median["gradio_ask"], 4) for n in ("openai", "openai_stream")},
        "same_text": len(set(texts.values())) == 1,
        "all_s": {name: [round(t, 4) for t in ts] for name, ts in times.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", nargs="+", default=["extractive", "local"])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/api_overhead.json"))
    args = parser.parse_args()
    results = [measure(b, args.repeats) for b in args.backends]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"question": QUESTION, "repeats": args.repeats, "machine": machine(), "results": results}
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    for r in results:
        over = r["overhead_vs_ask_s"]
        print(f"{r['backend']}: median {r['median_s']} · over /ask {over} · same text {r['same_text']}")


if __name__ == "__main__":
    main()
