"""Generation speed per question: time to first token, tokens/s, total time, peak RAM; writes JSON.

Usage: python benchmarks/generation.py [--questions eval/questions.jsonl] [--backend local] [--limit 20]
       [--out benchmarks/results/generation-local.json]

Streams each answer exactly as `assistant ask` does. Refusals decided before the model runs are
counted apart (they cost no generation). The model loads once, before the first question.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation.dataset import load_questions
from assistant.pipeline import Assistant


def _llama_build() -> str:
    """The instruction sets llama.cpp was compiled for (AVX-512 makes prefill ~1.5x faster here)."""
    try:
        import llama_cpp
    except ImportError:
        return ""
    return llama_cpp.llama_print_system_info().decode().strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--backend", default="local")
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    out = args.out or Path(f"benchmarks/results/generation-{args.backend}.json")

    assistant = Assistant(Settings())
    assistant.ensure_index()
    t = time.perf_counter()
    if args.backend != "extractive":
        assistant.answerer(assistant.resolve_backend(args.backend))  # load the model once
    load_s = time.perf_counter() - t
    rows = []
    for q in load_questions(args.questions)[: args.limit]:
        stream = assistant.stream(q.question, q.history, backend=args.backend)
        chunks = sum(1 for _ in stream)
        a = stream.answer
        generated = a.backend == args.backend and not (a.refused and chunks == 1)
        gen_s = (a.timings["total_ms"] - a.timings["first_token_ms"]) / 1000
        rows.append(
            {
                "id": q.id,
                "generated": generated,
                "refused": a.refused,
                "first_token_ms": a.timings["first_token_ms"],
                "total_ms": a.timings["total_ms"],
                "chunks": chunks,
                "tokens_per_s": round(chunks / gen_s, 2) if generated and gen_s > 0 else None,
            }
        )
    gen = [r for r in rows if r["generated"]]

    def median(key: str) -> float | None:
        values = [r[key] for r in gen if r[key] is not None]
        return round(statistics.median(values), 1) if values else None

    result = {
        "backend": args.backend,
        "questions": len(rows),
        "generated": len(gen),
        "model_load_s": round(load_s, 2),
        "median_first_token_ms": median("first_token_ms"),
        "median_total_ms": median("total_ms"),
        "median_tokens_per_s": median("tokens_per_s"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "llama_cpp_build": _llama_build(),
        "rows": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))


if __name__ == "__main__":
    main()
