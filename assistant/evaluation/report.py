"""Human-readable reports: a summary table for the terminal, report.md, and chart.png."""

from __future__ import annotations

from pathlib import Path

_COLUMNS = [
    ("n", "n"),
    ("recall@1", "R@1"),
    ("recall@5", "R@5"),
    ("mrr@10", "MRR@10"),
    ("context_precision", "ctx prec"),
    ("faithfulness", "faithful"),
    ("citation_recall", "cite rec"),
    ("citation_precision", "cite prec"),
    ("key_facts", "key facts"),
    ("exact_match", "EM"),
    ("f1", "F1"),
    ("answer_precision", "answer prec"),
    ("coverage", "coverage"),
    ("wrong_answer_rate", "wrong"),
    ("wrong_marked_supported", "wrong, marked backed"),
    ("refusal_accuracy", "refusal acc"),
    ("false_refusal", "false refusal"),
]
LABEL_MEANING = {
    "in-sample": "rules and thresholds were fitted on this set",
    "tuned-on": "changes were chosen by watching this set",
    "out-of-sample": "nothing was fitted or tuned on this set",
}
# What the chart shows for each group of questions
_CHART_METRICS = [
    ("recall@5", "R@5"),
    ("faithfulness", "faithfulness"),
    ("citation_recall", "citation recall"),
    ("citation_precision", "citation precision"),
    ("key_facts", "key facts"),
    ("refusal_accuracy", "refusal acc"),
]
WORST = 10


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if key == "n" else f"{value:.3f}"


def summary_table(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table with one row per named set of aggregates."""
    header = "| set | " + " | ".join(label for _, label in _COLUMNS) + " |"
    rule = "|" + "---|" * (len(_COLUMNS) + 1)
    lines = [header, rule]
    for name, agg in rows.items():
        lines.append(f"| {name} | " + " | ".join(_fmt(key, agg.get(key)) for key, _ in _COLUMNS) + " |")
    return "\n".join(lines)


def _badness(r: dict) -> tuple:
    """Sort key: the worst answers first (wrong refusal decision, then low faithfulness, missing facts)."""
    wrong_decision = (r["answerable"] and r["refused"]) or (not r["answerable"] and not r["refused"])
    faith = r.get("faithfulness")
    return (
        not wrong_decision,
        1.0 if faith is None else faith,
        r.get("key_facts", 1.0),
        r.get("citation_recall") or 0.0,
    )


def label_line(label: str) -> str:
    """ "out-of-sample (nothing was fitted or tuned on this set)" """
    return f"{label} ({LABEL_MEANING.get(label, 'unlabelled')})"


def judge_line(judge: dict) -> str:
    accuracy = judge.get("calibration_accuracy")
    calibrated = (
        f"calibration accuracy {accuracy:.3f} on `{judge.get('calibrated_on')}`"
        if accuracy is not None
        else f"not calibrated (no entry in `{judge.get('calibrated_on')}`; run `assistant eval-judge`)"
    )
    return f"Judge: **{judge.get('name')}**, {calibrated}."


def _risk_lines(points: list[dict]) -> list[str]:
    """A few points of the risk-coverage curve (risk_coverage.png has all of them)."""
    if not points:
        return []
    step = max(1, len(points) // 6)
    shown = points[::step] + ([points[-1]] if (len(points) - 1) % step else [])
    lines = [
        "Withholding answers whose weakest sentence's support is below a threshold (risk_coverage.png):",
        "",
        "| threshold | answered | coverage | answer precision |",
        "|---|---|---|---|",
    ]
    lines += [f"| {p['threshold']:.3f} | {p['answered']} | {p['coverage']:.3f} | {p['precision']:.3f} |" for p in shown]
    return [*lines, ""]


def write_markdown(report: dict, path: Path) -> None:
    """report.md: the summary table (ours, per kind, baselines), then the ten worst answers with their claims."""
    rows = {"all": report["aggregates"], **dict(sorted(report["by_kind"].items()))}
    for name, base in report.get("baseline", {}).items():
        rows[f"{name} (baseline)"] = base["aggregates"]
    lines = [
        f"# Evaluation report ({report['backend']} backend)",
        "",
        f"Questions: `{report['questions_file']}`, **{label_line(report.get('label', 'out-of-sample'))}**. "
        f"{judge_line(report.get('judge', {}))}",
        "",
        summary_table(rows),
        "",
        *_risk_lines(report.get("risk_coverage", [])),
        f"## The {WORST} worst answers",
        "",
    ]
    for r in sorted(report["questions"], key=_badness)[:WORST]:
        lines += [
            f"### {r['id']} ({r['kind']}, {'answerable' if r['answerable'] else 'unanswerable'})",
            f"- Question: {r['question']}",
            f"- Answer: {r['answer']}",
            f"- Retrieved: {', '.join(r['retrieved'][:5])}; gold: {', '.join(r['gold_sources']) or '–'}",
            f"- Faithfulness {_fmt('', r.get('faithfulness'))}, citation recall {_fmt('', r.get('citation_recall'))}, "
            f"precision {_fmt('', r.get('citation_precision'))}, key facts {_fmt('', r.get('key_facts'))}",
        ]
        for c in r.get("claims", []):
            mark = "✓" if c["supported"] else "✗"
            lines.append(f"  - {mark} {c['claim']} ({c['reason']})")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_chart(report: dict, path: Path) -> None:
    """chart.png: the main metrics per question kind, and ours vs each baseline on all questions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    groups = {"all": report["aggregates"], **dict(sorted(report["by_kind"].items()))}
    for name, base in report.get("baseline", {}).items():
        groups[f"all ({name})"] = base["aggregates"]
    names = list(groups)
    fig, ax = plt.subplots(figsize=(max(8, 1.3 * len(names)), 4.5), dpi=110)
    width = 0.8 / len(_CHART_METRICS)
    x = np.arange(len(names))
    for i, (key, label) in enumerate(_CHART_METRICS):
        values = [groups[n].get(key, np.nan) for n in names]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=label)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(
        f"{report['backend']} backend, judge {report.get('judge', {}).get('name', '?')}, {report.get('label', '?')}"
    )
    ax.legend(ncol=len(_CHART_METRICS), fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_risk_coverage(report: dict, path: Path) -> None:
    """risk_coverage.png: answer precision against coverage as the verification threshold rises."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = report.get("risk_coverage", [])
    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=110)
    if points:
        ax.plot([p["coverage"] for p in points], [p["precision"] for p in points], marker=".", lw=1)
        first = points[0]
        ax.annotate("every answer kept", (first["coverage"], first["precision"]), fontsize=8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("coverage (answerable questions answered)")
    ax.set_ylabel("answer precision (right among answered)")
    ax.set_title(f"{report['backend']} backend, {report.get('label', '?')}: withholding by support score", fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
