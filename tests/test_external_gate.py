"""The CI gate on out-of-sample material: the shared external SQuAD sets, extractive backend.

Nothing in the pipeline was fitted on these sets' report split, so a fall below the floors in
eval/gate-external.json is a real loss for a user who brings their own documents, not a change of
what the project's own questions happen to reward.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assistant.evaluation.dataset import load_questions
from assistant.evaluation.splits import report_sample, split_of
from assistant.evaluation.squad import import_squad

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "eval" / "external"
SAMPLE = 200


def test_the_report_split_is_by_paragraph_and_stable(tmp_path):
    files = sorted(EXTERNAL.glob("*.json"))
    report = import_squad(files, tmp_path / "ext", leave_out=0.1, seed=0)
    questions = load_questions(report.questions_file)
    by_paragraph: dict[str, set[str]] = {}
    for q in questions:
        by_paragraph.setdefault((q.sources or [q.id.rsplit("-q", 1)[0]])[0], set()).add(split_of(q))
    assert all(len(splits) == 1 for splits in by_paragraph.values())  # no paragraph straddles both
    fit = sum(split_of(q) == "fit" for q in questions) / len(questions)
    assert 0.2 < fit < 0.4
    assert [q.id for q in report_sample(questions, 50)] == [q.id for q in report_sample(list(reversed(questions)), 50)]


def test_the_quality_gate_holds_on_the_external_sets(tmp_path):
    files = sorted(EXTERNAL.glob("*.json"))
    assert len(files) == 2, f"the external sets are expected in {EXTERNAL}"
    report = import_squad(files, tmp_path / "ext", leave_out=0.1, seed=0)
    sample = report_sample(load_questions(report.questions_file), SAMPLE)
    lines = [json.loads(line) for line in report.questions_file.read_text(encoding="utf-8").splitlines()]
    chosen = {q.id for q in sample}
    questions = tmp_path / "gate.jsonl"
    questions.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines if r["id"] in chosen), encoding="utf-8"
    )
    env = dict(
        os.environ,
        ASSISTANT_CORPUS_DIR=str(report.corpus_dir),
        ASSISTANT_PERSIST_DIR=str(tmp_path / "vs"),
        ASSISTANT_LLM="extractive",
        HF_HUB_OFFLINE="1",
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "assistant.app.cli",
            "eval",
            "--questions",
            str(questions),
            "--out",
            str(tmp_path / "r"),
            "--gate",
            str(ROOT / "eval" / "gate-external.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=1800,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "Quality gate" in out.stdout and "passed" in out.stdout
    result = json.loads((tmp_path / "r" / "report.json").read_text(encoding="utf-8"))
    assert result["label"] == "out-of-sample" and result["aggregates"]["n"] == SAMPLE
