"""The dev-set questions the regression tests ask are still the dev set's, word for word (NFC);
each close variant's words (diacritics folded) are still some of its dev question's."""

import re
import unicodedata

import pytest

from tests import dev_regression
from tests.dev_regression import DEV_IDS, DEV_SET, VARIANTS, dev_item

NAMES = {value: name for name, value in vars(dev_regression).items() if isinstance(value, str)}


def folded_words(text: str) -> set[str]:
    """`text`'s words, lower-cased, without diacritics (đ as d)."""
    bare = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return set(re.findall(r"\w+", bare.replace("đ", "d").replace("Đ", "D").lower()))


@pytest.mark.regression
@pytest.mark.skipif(not DEV_SET.is_file(), reason="the shared dev set (../shared/eval/dev.jsonl) is not here")
@pytest.mark.parametrize("dev_id", sorted(DEV_IDS))
def test_regression_constants_are_the_dev_sets_questions(dev_id):
    question = DEV_IDS[dev_id]
    assert unicodedata.is_normalized("NFC", question)
    assert dev_item(dev_id)["question"] == question


@pytest.mark.regression
@pytest.mark.skipif(not DEV_SET.is_file(), reason="the shared dev set (../shared/eval/dev.jsonl) is not here")
@pytest.mark.parametrize("variant", list(VARIANTS), ids=[NAMES[v] for v in VARIANTS])
def test_regression_variants_are_their_dev_questions_with_words_dropped(variant):
    question = dev_item(VARIANTS[variant])["question"]
    assert unicodedata.is_normalized("NFC", variant)
    assert variant != question and variant not in DEV_IDS.values()
    assert folded_words(variant) <= folded_words(question)
