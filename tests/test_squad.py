"""`assistant dataset squad`: good files, malformed files (which line, which field), leave-out determinism."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from assistant.errors import InvalidInputFileError
from assistant.evaluation.dataset import load_questions
from assistant.evaluation.squad import first_words, import_squad, read_squad

EXTERNAL = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "external"


def squad(entries: list[dict]) -> dict:
    return {"version": "1.1", "data": entries}


def paragraph(context: str, *qas: tuple[str, list[str]]) -> dict:
    return {
        "context": context,
        "qas": [
            {"id": f"q{i}", "question": q, "answers": [{"text": a, "answer_start": context.find(a)} for a in answers]}
            for i, (q, answers) in enumerate(qas)
        ],
    }


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def small_file(tmp_path: Path, n: int = 10) -> Path:
    entries = [
        {
            "title": f"Quy định số {i}",
            "paragraphs": [
                paragraph(
                    f"Sinh viên khoá {i} phải tích luỹ tối thiểu {100 + i} tín chỉ để tốt nghiệp.",
                    (f"Khoá {i} cần bao nhiêu tín chỉ?", [f"{100 + i} tín chỉ", f"{100 + i}"]),
                )
            ],
        }
        for i in range(n)
    ]
    return write(tmp_path / "reg.json", squad(entries))


def test_each_paragraph_becomes_an_article_and_each_question_keeps_every_answer(tmp_path):
    report = import_squad([small_file(tmp_path)], tmp_path / "out", leave_out=0.0)
    assert report.articles == 10 and report.answerable == 10 and report.unanswerable == 0
    files = sorted((tmp_path / "out" / "corpus").glob("*.txt"))
    assert len(files) == 10
    title, _, body = files[0].read_text(encoding="utf-8").partition("\n\n")
    assert title == "Quy định số 0" and "100 tín chỉ" in body
    questions = load_questions(tmp_path / "out" / "questions.jsonl")
    first = questions[0]
    assert first.sources == [files[0].stem] and first.answerable
    assert first.must_include == [["100 tín chỉ", "100"]] and first.answers == ["100 tín chỉ", "100"]


def test_generic_titles_are_replaced_by_the_paragraphs_first_words(tmp_path):
    entries = [
        {
            "title": "Wikipedia",
            "paragraphs": [paragraph(f"Sông Hồng số {i} chảy qua Hà Nội. Nó dài.", ("Ở đâu?", ["Hà Nội"]))],
        }
        for i in range(5)
    ] + [{"title": "", "paragraphs": [paragraph("Vịnh Hạ Long ở Quảng Ninh.", ("Vịnh ở đâu?", ["Quảng Ninh"]))]}]
    paragraphs = read_squad(write(tmp_path / "wiki.json", squad(entries)))
    assert paragraphs[0].title == "Sông Hồng số 0 chảy qua Hà Nội"
    assert paragraphs[-1].title == "Vịnh Hạ Long ở Quảng Ninh"
    assert (
        first_words("Một hai ba bốn năm sáu bảy tám chín mười mười một.") == "Một hai ba bốn năm sáu bảy tám chín mười"
    )


def test_left_out_paragraphs_make_unanswerable_questions_unless_the_corpus_holds_the_answer(tmp_path):
    entries = [
        {"title": f"T{i}", "paragraphs": [paragraph(f"Mã số riêng {i:03d}X.", ("Mã số?", [f"{i:03d}X"]))]}
        for i in range(20)
    ]
    # a left-out paragraph whose answer another paragraph also states: its question is skipped
    entries.append({"title": "Trùng", "paragraphs": [paragraph("Cũng có 005X ở đây.", ("Mã nào cũng có?", ["005X"]))]})
    path = write(tmp_path / "codes.json", squad(entries))
    report = import_squad([path], tmp_path / "a", leave_out=0.5, seed=7)
    written = {p.stem for p in (tmp_path / "a" / "corpus").glob("*.txt")}
    questions = load_questions(tmp_path / "a" / "questions.jsonl")
    unanswerable = [q for q in questions if not q.answerable]
    assert report.left_out == 10 and len(written) == 11
    assert unanswerable and all(not q.sources and not q.must_include for q in unanswerable)
    corpus = " ".join(p.read_text(encoding="utf-8") for p in (tmp_path / "a" / "corpus").glob("*.txt"))
    assert all(a not in corpus for q in unanswerable for a in q.answers)
    assert all(q.sources[0] in written for q in questions if q.answerable)
    assert report.unanswerable + report.skipped_found_in_corpus == sum(
        len(e["paragraphs"][0]["qas"]) for e in entries if f"codes-{entries.index(e) + 1:04d}-01" not in written
    )


def test_the_same_seed_gives_the_same_output_and_another_seed_another(tmp_path):
    path = small_file(tmp_path, 30)

    def run(out: str, seed: int) -> tuple[set[str], str]:
        import_squad([path], tmp_path / out, leave_out=0.2, seed=seed)
        files = {p.name for p in (tmp_path / out / "corpus").glob("*.txt")}
        return files, (tmp_path / out / "questions.jsonl").read_text(encoding="utf-8")

    assert run("a", 1) == run("b", 1)
    assert run("a", 1)[0] != run("c", 2)[0]


def test_text_is_nfc_normalised(tmp_path):
    decomposed = unicodedata.normalize("NFD", "Chuyển đổi số diễn ra ở Hà Nội.")
    path = write(
        tmp_path / "nfd.json", squad([{"title": "x", "paragraphs": [paragraph(decomposed, (decomposed, ["Hà Nội"]))]}])
    )
    import_squad([path], tmp_path / "o", leave_out=0.0)
    body = next((tmp_path / "o" / "corpus").glob("*.txt")).read_text(encoding="utf-8")
    q = load_questions(tmp_path / "o" / "questions.jsonl")[0]
    assert "Chuyển đổi số" in body and unicodedata.is_normalized("NFC", q.question)


@pytest.mark.parametrize(
    ("mutate", "field", "line_of"),
    [
        (
            lambda d: d["data"][1]["paragraphs"][0].pop("context"),
            "data[1].paragraphs[0].context",
            '"title": "Quy định số 1"',
        ),
        (
            lambda d: d["data"][2]["paragraphs"][0]["qas"][0].update(answers=[]),
            "data[2].paragraphs[0].qas[0].answers",
            '"question": "Khoá 2',
        ),
        (
            lambda d: d["data"][3]["paragraphs"][0]["qas"][0].update(question=7),
            "data[3].paragraphs[0].qas[0].question",
            '"question": 7',
        ),
        (lambda d: d.pop("data"), "top level", None),
    ],
)
def test_a_malformed_file_names_the_line_and_the_field(tmp_path, mutate, field, line_of):
    data = json.loads(small_file(tmp_path).read_text(encoding="utf-8"))
    mutate(data)
    path = write(tmp_path / "bad.json", data)
    with pytest.raises(InvalidInputFileError) as err:
        import_squad([path], tmp_path / "out")
    message = err.value.message
    assert field in message and str(path) in message
    if line_of:
        lines = path.read_text(encoding="utf-8").splitlines()
        expected = next(i for i, ln in enumerate(lines, start=1) if line_of in ln)
        # the line named is where the object holding the bad field starts: within a few lines of it
        named = int(message.split(f"{path}:", 1)[1].split(":", 1)[0])
        assert abs(named - expected) <= 3


def test_invalid_json_names_its_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"data": [\n  {"title": "a",\n   "paragraphs": [}\n]}', encoding="utf-8")
    with pytest.raises(InvalidInputFileError, match=r"broken.json:3: not valid JSON"):
        import_squad([path], tmp_path / "out")


def test_the_command_imports_the_shared_external_sets(tmp_path):
    from assistant.app.cli import main

    files = sorted(EXTERNAL.glob("*.json"))
    assert len(files) == 2, f"expected the two external sets in {EXTERNAL}"
    assert main(["dataset", "squad", *map(str, files), "--out", str(tmp_path / "ext"), "--seed", "3"]) == 0
    questions = load_questions(tmp_path / "ext" / "questions.jsonl")
    articles = list((tmp_path / "ext" / "corpus").glob("*.txt"))
    assert 120 <= len(articles) <= 130  # 142 paragraphs, 10% left out
    assert sum(q.answerable for q in questions) > 1000 and sum(not q.answerable for q in questions) > 50
    assert len({q.id for q in questions}) == len(questions)
