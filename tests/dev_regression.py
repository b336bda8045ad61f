"""Questions of the shared dev set (`../shared/eval/dev.jsonl`) that tests use, one named constant each.

The dev set is tuned-on: changes were chosen by watching it. A test that asks one of its questions
is therefore a regression test: it guards behaviour that was already tuned on that question and
says nothing about how questions never seen fare. Such tests are named `test_regression_*` and
marked `@pytest.mark.regression`; quality out of sample is measured by the external benchmark
(docs/evaluation.md), never by them.

A close variant of a dev question (the same question with a word or phrase dropped, or typed
without diacritics) is tuned-on just the same: it has a constant here too, with a comment naming its
dev id and how it differs, and is listed in `VARIANTS` instead of `DEV_IDS`.

The text is kept literal (NFC; the dev questions exactly as in dev.jsonl) so the tests run without
`../shared`; `tests/test_dev_regression.py` checks it against the dev set when the set is there.
"""

from __future__ import annotations

import json
from pathlib import Path

DEV_SET = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dev.jsonl"

ITU_FORMAT = "ITU Digital World 2021 được tổ chức theo hình thức nào?"  # dev-02
VIDW_THEME = "Tuần lễ Số Quốc tế Việt Nam 2022 có chủ đề gì?"  # dev-05 (and dev-21's first turn)
VIDW_OPENING_DELEGATES = "Có bao nhiêu đại biểu tham dự lễ khai mạc VIDW2022?"  # dev-08
DIGITAL_DAY_NO_DIACRITICS = "Ngay chuyen doi so quoc gia la ngay nao?"  # dev-15
ITU_SECRETARY_GENERAL_NO_DIACRITICS = "Tong thu ky ITU du hoi nghi ITU Digital World 2021 la ai?"  # dev-16
ITU_DELEGATE_COUNTRIES_EN = "How many countries did the ITU Digital World 2021 delegates come from?"  # dev-17
VIETTEL_5G_PRICE = "Giá cước 5G của Viettel năm 2022 là bao nhiêu?"  # dev-19
VIDW_DATES_FOLLOW_UP = "Nó diễn ra từ ngày nào đến ngày nào?"  # dev-21 (a follow-up to VIDW_THEME)

# close variants (not in DEV_IDS: they are not the dev set's text)
VIDW_THEME_WITHOUT_VIET_NAM = "Tuần lễ Số Quốc tế 2022 có chủ đề gì?"  # dev-05, without "Việt Nam"
VIDW_DELEGATES = "Có bao nhiêu đại biểu tham dự khai mạc VIDW2022?"  # dev-08, without "lễ"
VIDW_DELEGATES_SHORT = "Có bao nhiêu đại biểu dự khai mạc VIDW2022?"  # dev-08, without "tham" and "lễ"
WHY_VIET_NAM_THEME_NO_DIACRITICS = "Toa dam Why Viet Nam 2022 co chu de gi?"  # dev-09, without diacritics
VIETTEL_CEO = "Ai là Tổng Giám đốc Tập đoàn Viettel?"  # dev-12, without "được nhắc tới trong bài"
# dev-12 without diacritics, asked as "… là ai?", without "được nhắc tới trong bài"
VIETTEL_CEO_NO_DIACRITICS = "Tong giam doc tap doan Viettel la ai?"
VIETTEL_5G_PRICE_NO_YEAR = "Giá cước 5G của Viettel là bao nhiêu?"  # dev-19, without "năm 2022"

DEV_IDS = {
    "dev-02": ITU_FORMAT,
    "dev-05": VIDW_THEME,
    "dev-08": VIDW_OPENING_DELEGATES,
    "dev-15": DIGITAL_DAY_NO_DIACRITICS,
    "dev-16": ITU_SECRETARY_GENERAL_NO_DIACRITICS,
    "dev-17": ITU_DELEGATE_COUNTRIES_EN,
    "dev-19": VIETTEL_5G_PRICE,
    "dev-21": VIDW_DATES_FOLLOW_UP,
}

VARIANTS = {
    VIDW_THEME_WITHOUT_VIET_NAM: "dev-05",
    VIDW_DELEGATES: "dev-08",
    VIDW_DELEGATES_SHORT: "dev-08",
    WHY_VIET_NAM_THEME_NO_DIACRITICS: "dev-09",
    VIETTEL_CEO: "dev-12",
    VIETTEL_CEO_NO_DIACRITICS: "dev-12",
    VIETTEL_5G_PRICE_NO_YEAR: "dev-19",
}


def dev_item(dev_id: str, path: Path = DEV_SET) -> dict:
    """The dev set's item `dev_id` (needs `../shared`; the constants above do not)."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip() and (item := json.loads(line))["id"] == dev_id:
                return item
    raise KeyError(f"{dev_id} is not in {path}")
