"""How far to trust a judge: its accuracy on (passage, claim, label) items with known answers.

The binary decision is supported vs not supported ("unsupported" and "contradicted" both count
as not supported); the confusion matrix keeps the three gold labels apart so a judge that misses
contradictions but catches absent facts (or the reverse) shows it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from assistant.errors import InvalidInputFileError
from assistant.evaluation.dataset import read_jsonl
from assistant.evaluation.judges import Judge
from assistant.lang.normalize import normalize

LABELS = ("supported", "unsupported", "contradicted")


@dataclass(frozen=True)
class ClaimItem:
    id: str
    passage: str
    claim: str
    label: str


def load_claims(path: Path) -> list[ClaimItem]:
    """Parse a claims JSONL file; a bad line is reported with its number."""
    items = []
    for where, raw in read_jsonl(path, "claims"):
        if not isinstance(raw, dict):
            raise InvalidInputFileError(f"{where}: expected a JSON object")
        for key in ("id", "passage", "claim", "label"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise InvalidInputFileError(f'{where}: "{key}" must be a non-empty string')
        if raw["label"] not in LABELS:
            raise InvalidInputFileError(f"{where}: label {raw['label']!r} is not one of {', '.join(LABELS)}")
        items.append(ClaimItem(raw["id"], normalize(raw["passage"]), normalize(raw["claim"]), raw["label"]))
    if not items:
        raise InvalidInputFileError(f"Claims file {path} has no items")
    return items


def evaluate_judge(judge: Judge, items: list[ClaimItem]) -> dict:
    """Accuracy, precision/recall on "supported", the confusion matrix and every prediction."""
    t0 = time.perf_counter()
    predictions = []
    for item in tqdm(items, desc=f"Judge {judge.name}", unit="claim", disable=len(items) < 20):
        verdict = judge.judge(item.claim, [item.passage])
        predictions.append(
            {
                "id": item.id,
                "label": item.label,
                "predicted": "supported" if verdict.supported else "not_supported",
                "score": verdict.score,
                "reason": verdict.reason,
            }
        )
    return {
        "judge": judge.name,
        **binary_scores(predictions),
        "seconds": round(time.perf_counter() - t0, 1),
        "predictions": predictions,
    }


def binary_scores(predictions: list[dict]) -> dict:
    """Accuracy and supported-class precision/recall from (label, predicted) pairs."""
    gold = [p["label"] == "supported" for p in predictions]
    pred = [p["predicted"] == "supported" for p in predictions]
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    confusion = {
        label: {
            "supported": sum(1 for x in predictions if x["label"] == label and x["predicted"] == "supported"),
            "not_supported": sum(1 for x in predictions if x["label"] == label and x["predicted"] != "supported"),
        }
        for label in LABELS
    }
    n = len(predictions)
    return {
        "n": n,
        "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / n, 4) if n else 0.0,
        "precision_supported": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall_supported": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "confusion": confusion,
    }


def judge_table(results: dict[str, dict]) -> str:
    """Markdown: one row per judge, then its confusion matrix."""
    lines = [
        "| judge | n | accuracy | precision (supported) | recall (supported) | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['n']} | {r['accuracy']:.3f} | {r['precision_supported']:.3f} | "
            f"{r['recall_supported']:.3f} | {r['seconds']} |"
        )
    for name, r in results.items():
        lines += [
            "",
            f"Confusion matrix, {name} (rows: gold label; columns: judged)",
            "",
            "| gold | supported | not supported |",
            "|---|---|---|",
        ]
        for label in LABELS:
            c = r["confusion"][label]
            lines.append(f"| {label} | {c['supported']} | {c['not_supported']} |")
    return "\n".join(lines)


def write_judge_report(results: dict[str, dict], claims_file: Path, out_dir: Path) -> Path:
    """`judge_report.json`: one entry per judge (with `accuracy`), plus the claims file it was run on."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "judge_report.json"
    payload = {"claims_file": str(claims_file), **results}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def calibration_accuracy(path: Path, judge: str) -> float | None:
    """The judge's accuracy from a stored judge_report.json, if it was calibrated there."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return float(data[judge]["accuracy"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
