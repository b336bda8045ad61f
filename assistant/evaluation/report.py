"""Human-readable reports: a summary table for the terminal and report.md."""

from __future__ import annotations

from pathlib import Path

_COLUMNS = [
    ("n", "n"),
    ("recall@1", "R@1"),
    ("recall@3", "R@3"),
    ("recall@5", "R@5"),
    ("mrr@10", "MRR@10"),
    ("key_facts", "key facts"),
    ("refusal_accuracy", "refusal acc"),
    ("false_refusal", "false refusal"),
]


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if key == "n" else f"{value:.3f}"


def summary_table(aggregates: dict[str, float], by_kind: dict[str, dict[str, float]]) -> str:
    """A Markdown table: one row for everything, one per question kind."""
    header = "| set | " + " | ".join(label for _, label in _COLUMNS) + " |"
    rule = "|" + "---|" * (len(_COLUMNS) + 1)
    rows = [header, rule]
    for name, agg in [("all", aggregates), *sorted(by_kind.items())]:
        rows.append(f"| {name} | " + " | ".join(_fmt(key, agg.get(key)) for key, _ in _COLUMNS) + " |")
    return "\n".join(rows)


def write_markdown(report: dict, path: Path) -> None:
    """report.md: the summary table, then every question that missed a key fact or a refusal."""
    lines = [
        f"# Evaluation report ({report['backend']} backend)",
        "",
        f"Questions: `{report['questions_file']}`",
        "",
        summary_table(report["aggregates"], report["by_kind"]),
        "",
        "## Misses",
        "",
    ]
    misses = [
        r
        for r in report["questions"]
        if (r["answerable"] and (r["key_facts"] < 1 or r["recall@5"] < 1))
        or (not r["answerable"] and r["refusal_correct"] < 1)
    ]
    if not misses:
        lines.append("None.")
    for r in misses:
        lines += [
            f"### {r['id']} ({r['kind']})",
            f"- Question: {r['question']}",
            f"- Answer: {r['answer']}",
            f"- Retrieved: {', '.join(r['retrieved'][:5])}; gold: {', '.join(r['gold_sources']) or '–'}",
            "",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
