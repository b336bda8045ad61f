"""Deterministic synthetic Vietnamese corpora for scale tests: 1k / 10k / 100k chunks.

Usage: python benchmarks/make_corpus.py --chunks 10000 --out /tmp/corpus-10k [--seed 7]

Articles are made by recombining the seed articles' sentences with names, numbers and dates
substituted, so text statistics stay Vietnamese-news-like. A few articles carry planted facts
(a unique event, place, number and date) and `questions.jsonl` in the output folder asks about them
in the question-file format, so retrieval quality can be measured at scale and not only speed.
About 5 chunks per article with the default chunking (220 cl100k tokens).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from assistant.ingest.corpus import load_corpus
from assistant.lang.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CHUNKS_PER_ARTICLE = 5
SENTENCES_PER_ARTICLE = 10  # long news sentences: ~5 chunks of 220 tokens
PLANTED = 40

CITIES = "Hà Nội,Hải Phòng,Đà Nẵng,Cần Thơ,Huế,Nha Trang,Quy Nhơn,Vinh,Buôn Ma Thuột,Thái Nguyên,Nam Định,Hạ Long"
CITIES = CITIES.split(",")
SURNAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý".split()
MIDDLE = "Văn Thị Hữu Đức Minh Thanh Quốc Ngọc Xuân Thu".split()
GIVEN = "An Bình Chi Dũng Giang Hà Hải Hùng Khánh Lan Long Mai Nam Phong Quân Sơn Tâm Thảo Trung Vy".split()
TOPICS = [
    "nền tảng dữ liệu dùng chung",
    "trung tâm điều hành đô thị thông minh",
    "cổng dịch vụ công trực tuyến",
    "hệ thống thanh toán không dùng tiền mặt",
    "mạng 5G thử nghiệm",
    "kho học liệu số",
    "bệnh viện thông minh",
    "sàn thương mại điện tử nông sản",
    "trung tâm an ninh mạng",
    "hệ thống định danh điện tử",
]
_NUMBER = re.compile(r"\b\d{2,}(?:[.,]\d+)*\b")
_DATE = re.compile(r"\b\d{1,2}[/.]\d{1,2}(?:[/.]\d{4})?\b")


def person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def substitute(sentence: str, rng: random.Random) -> str:
    """Change dates and numbers so recombined sentences do not repeat the seeds' facts verbatim."""
    sentence = _DATE.sub(lambda _m: f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(2019, 2025)}", sentence)
    return _NUMBER.sub(lambda m: str(rng.randint(10, 99_999)) if len(m.group()) > 2 else m.group(), sentence)


def planted_fact(i: int, rng: random.Random) -> tuple[str, dict]:
    city, topic, who = rng.choice(CITIES), rng.choice(TOPICS), person(rng)
    value = rng.randint(101, 9_999)
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2020, 2025)
    code = f"DX-{i:03d}"
    sentence = (
        f"Dự án {topic} mã số {code} tại {city} được khởi công ngày {day}/{month}/{year} với tổng vốn "
        f"{value} tỷ đồng, do ông {who} làm giám đốc."
    )
    question = {
        "id": f"scale-{i:03d}",
        "question": f"Dự án mã số {code} có tổng vốn bao nhiêu?",
        "history": [],
        "answerable": True,
        "must_include": [[str(value)]],
        "sources": [],  # filled with the article id below
        "reference": sentence,
        "kind": "planted",
    }
    return sentence, question


def make_corpus(chunks: int, out: Path, seed: int = 7) -> dict:
    rng = random.Random(seed)
    sentences = [s.text for a in load_corpus(SEEDS) for p in a.paragraphs for s in split_sentences(p)]
    sentences = [s for s in sentences if len(s.split()) >= 8]
    n_articles = max(1, chunks // CHUNKS_PER_ARTICLE)
    planted_at = set(rng.sample(range(n_articles), min(PLANTED, n_articles)))
    out.mkdir(parents=True, exist_ok=True)
    questions = []
    for i in range(n_articles):
        city, topic = rng.choice(CITIES), rng.choice(TOPICS)
        title = f"{city} triển khai {topic} giai đoạn {rng.randint(2021, 2026)}"
        date = f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2020, 2025)}"
        body = [substitute(rng.choice(sentences), rng) for _ in range(SENTENCES_PER_ARTICLE)]
        if i in planted_at:
            fact, question = planted_fact(len(questions), rng)
            body.insert(rng.randint(0, len(body)), fact)
            question["sources"] = [f"scale_{i:06d}"]
            questions.append(question)
        paragraphs = [" ".join(body[j : j + 4]) for j in range(0, len(body), 4)]
        text = "\n".join([title, date, *paragraphs, f"Nguồn: bao-so-{i % 17}.vn"])
        (out / f"scale_{i:06d}.txt").write_text(text + "\n", encoding="utf-8")
    with (out.parent / f"{out.name}-questions.jsonl").open("w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    return {
        "articles": n_articles,
        "planted": len(questions),
        "questions": str(out.parent / f"{out.name}-questions.jsonl"),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(make_corpus(args.chunks, args.out, args.seed))


if __name__ == "__main__":
    main()
