"""The dev-set questions the regression tests ask are still the dev set's, word for word (NFC)."""

import unicodedata

import pytest

from tests.dev_regression import DEV_IDS, DEV_SET, dev_item


@pytest.mark.regression
@pytest.mark.skipif(not DEV_SET.is_file(), reason="the shared dev set (../shared/eval/dev.jsonl) is not here")
@pytest.mark.parametrize("dev_id", sorted(DEV_IDS))
def test_regression_constants_are_the_dev_sets_questions(dev_id):
    question = DEV_IDS[dev_id]
    assert unicodedata.is_normalized("NFC", question)
    assert dev_item(dev_id)["question"] == question
