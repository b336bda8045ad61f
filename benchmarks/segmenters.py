"""Compare Vietnamese word segmenters for BM25 on the seed paragraphs; writes JSON.

Usage: python benchmarks/segmenters.py [--out benchmarks/results/segmenters.json]
(underthesea is measured only if installed: `pip install underthesea`.)

Reports import time, time per paragraph, and how often the two agree on the compound words that
matter for search, so the choice in `assistant/text.py` rests on numbers.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

from assistant.ingest.corpus import load_corpus


def measure(name: str, paragraphs: list[str]) -> dict:
    t0 = time.perf_counter()
    if name == "pyvi":
        from pyvi import ViTokenizer

        segment = lambda p: ViTokenizer.tokenize(p).split()  # noqa: E731
    else:
        from underthesea import word_tokenize

        segment = lambda p: [w.replace(" ", "_") for w in word_tokenize(p)]  # noqa: E731
    import_s = time.perf_counter() - t0
    segment(paragraphs[0])  # warm-up (lazy model loads)
    t1 = time.perf_counter()
    words = [segment(p) for p in paragraphs]
    per_paragraph_ms = (time.perf_counter() - t1) * 1000 / len(paragraphs)
    compounds = {w.lower() for ws in words for w in ws if "_" in w}
    return {
        "import_s": round(import_s, 3),
        "ms_per_paragraph": round(per_paragraph_ms, 3),
        "compounds": compounds,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/segmenters.json"))
    args = parser.parse_args()
    paragraphs = [p for a in load_corpus(Path("seeds")) for p in a.paragraphs]
    names = ["pyvi"] + (["underthesea"] if importlib.util.find_spec("underthesea") else [])
    results = {n: measure(n, paragraphs) for n in names}
    out: dict = {"paragraphs": len(paragraphs)}
    for n, r in results.items():
        out[n] = {k: v for k, v in r.items() if k != "compounds"} | {"distinct_compounds": len(r["compounds"])}
    if len(results) == 2:
        a, b = results["pyvi"]["compounds"], results["underthesea"]["compounds"]
        out["compound_agreement_jaccard"] = round(len(a & b) / len(a | b), 3)
        key = {"chuyển_đổi", "bộ_trưởng", "thủ_tướng", "viễn_thông", "kinh_tế", "hợp_tác", "đại_biểu"}
        out["key_compounds_found"] = {n: sorted(key & r["compounds"]) for n, r in results.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
