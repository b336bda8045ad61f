"""Fit the judges' decision thresholds on the project's own claims (eval/claims.jsonl), never the dev set.

Usage: python benchmarks/calibrate_judge.py [--claims eval/claims.jsonl] [--judges lexical local]
       [--out benchmarks/results/judge_calibration.json]

Scores every claim once per judge, then reports the accuracy of every candidate threshold and the
best one (ties go to the threshold nearest the middle of the best range, which generalises better
than an edge). Put the chosen values in Settings (`judge_lexical_threshold`, `judge_local_threshold`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant.config import Settings
from assistant.embeddings import E5Embeddings
from assistant.evaluation.judge_eval import load_claims
from assistant.evaluation.judges import make_judge


def best_threshold(scores: list[float], gold: list[bool]) -> tuple[float, float, list[tuple[float, float]]]:
    candidates = np.round(np.arange(0.05, 1.0, 0.01), 2)
    curve = [(float(t), float(np.mean([(s >= t) == g for s, g in zip(scores, gold, strict=True)]))) for t in candidates]
    top = max(acc for _, acc in curve)
    best = [t for t, acc in curve if acc == top]
    return best[len(best) // 2], top, curve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=Path, default=Path("eval/claims.jsonl"))
    parser.add_argument("--judges", nargs="+", default=["lexical", "local"])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/judge_calibration.json"))
    args = parser.parse_args()
    items = load_claims(args.claims)
    gold = [i.label == "supported" for i in items]
    settings = Settings()
    embedder = E5Embeddings()
    out = {"claims_file": str(args.claims), "n": len(items)}
    for name in args.judges:
        judge = make_judge(name, settings, embedder)
        scores = [judge.judge(i.claim, [i.passage]).score for i in tqdm(items, desc=name)]
        threshold, accuracy, curve = best_threshold(scores, gold)
        out[name] = {"threshold": threshold, "accuracy": round(accuracy, 4), "curve": curve}
        print(f"{name}: best threshold {threshold} → accuracy {accuracy:.3f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
