import string
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.context import has_answer_of_type
from assistant.lang import lexicon, lexicon_lines, lexicon_pairs, phrase_pattern
from assistant.lang.detect import is_english
from assistant.lang.facts import numbers_in, percentages_in
from assistant.lang.names import names_new_person
from assistant.lang.normalize import fold, fold_diacritics, has_diacritics, normalize
from assistant.lang.restore import restore_diacritics
from assistant.lang.sentences import split_sentences
from assistant.lang.words import content_terms, overlap_ratio, search_terms, term_coverage
from assistant.query import answer_type, build_query
from tests.dev_regression import (
    DIGITAL_DAY_NO_DIACRITICS,
    ITU_SECRETARY_GENERAL_NO_DIACRITICS,
    VIETTEL_5G_PRICE_NO_YEAR,
)

LEXICONS = Path(__file__).resolve().parent.parent / "assistant" / "lang" / "lexicons"

# file → (how it is read, what its header comment says its entries are)
LEXICON_FORMS = {
    "abbreviations": ("lines", "abbreviation"),
    "asks_person": ("lines", "folded"),
    "asks_quantity": ("lines", "folded"),
    "asks_time": ("lines", "folded"),
    "back_references": ("lines", "folded"),
    "english_words": ("words", "english"),
    "function_words_vi": ("pairs", "pairs"),
    "model_refusals": ("lines", "folded"),
    "not_negations": ("lines", "diacritics"),
    "person_titles": ("lines", "folded"),
    "references": ("lines", "folded"),
    "stopwords_en": ("words", "english"),
    "stopwords_vi": ("words", "folded"),
    "unknown_words": ("words", "folded"),
}

VIETNAMESE_LETTERS = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ"
vietnamese_text = st.text(alphabet=VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper() + " .,!?\n0123456789")


class TestNormalize:
    def test_tone_mark_placement_is_unified(self):
        assert normalize("hòa bình") == normalize("hoà bình")
        assert normalize("thúy") == normalize("thuý")
        assert normalize("khỏe") == normalize("khoẻ")
        assert normalize("HÒA") == normalize("HOÀ")

    def test_words_where_the_tone_never_moves_are_unchanged(self):
        for word in ["của", "mùa", "Hoàng", "hoạch", "quý", "toán", "người"]:
            assert normalize(word) == word

    def test_decomposed_input_becomes_nfc(self):
        nfd = unicodedata.normalize("NFD", "Chuyển đổi số")
        assert normalize(nfd) == "Chuyển đổi số"

    def test_zero_width_and_control_characters_are_dropped(self):
        assert normalize("chuyển\u200b đổi\x00 số") == "chuyển đổi số"

    @given(st.text())
    def test_idempotent(self, text):
        once = normalize(text)
        assert normalize(once) == once

    @given(vietnamese_text)
    def test_result_is_nfc(self, text):
        out = normalize(text)
        assert unicodedata.normalize("NFC", out) == out


class TestFold:
    def test_removes_marks_and_d_stroke(self):
        assert fold_diacritics("Chuyển đổi số ĐẢNG") == "Chuyen doi so DANG"

    @given(st.text(alphabet=string.printable))
    def test_ascii_is_unchanged(self, text):
        assert fold_diacritics(text) == text

    @given(vietnamese_text)
    def test_preserves_length_of_vietnamese(self, text):
        text = normalize(text)
        assert len(fold_diacritics(text)) == len(text)

    @given(vietnamese_text)
    def test_output_is_ascii_for_vietnamese(self, text):
        assert fold_diacritics(normalize(text)).isascii()


class TestSentences:
    def test_dates_numbers_and_abbreviations_do_not_split(self):
        text = 'Tối 12.10, Hội nghị khai mạc. Có 160.000 người. "Thật tuyệt!" Ông nói. TP. HCM dự.'
        assert [s.text for s in split_sentences(text)] == [
            "Tối 12.10, Hội nghị khai mạc.",
            "Có 160.000 người.",
            '"Thật tuyệt!"',
            "Ông nói.",
            "TP. HCM dự.",
        ]

    def test_line_breaks_end_sentences(self):
        assert [s.text for s in split_sentences("Tiêu đề\nNội dung một. Hai.")] == ["Tiêu đề", "Nội dung một.", "Hai."]

    @given(vietnamese_text)
    def test_spans_point_into_the_text(self, text):
        for span in split_sentences(text):
            assert text[span.start : span.end] == span.text
            assert span.text == span.text.strip() and span.text


class TestTerms:
    def test_query_without_diacritics_shares_terms_with_the_article(self):
        with_marks = set(search_terms("Ngày Chuyển đổi số quốc gia"))
        without = set(search_terms("Ngay chuyen doi so quoc gia"))
        assert {"ngay", "chuyen", "doi", "so", "quoc", "gia"} <= with_marks & without
        assert "chuyen_doi" in with_marks  # compounds from pyvi segmentation

    def test_numbers(self):
        assert numbers_in("160.000 người, 5G, 2D và 3D, năm 2021") == {"160000", "2021"}

    def test_a_pronoun_follow_up_names_no_topic_of_its_own(self):
        # "ông ấy" points back at the history; like "này", "đó", "kia" it is no key term to look for
        assert content_terms("Ông ấy gặp Đại sứ vào ngày nào?") == ["gap", "dai"]

    def test_a_share_is_backed_only_by_the_same_share(self):
        assert percentages_in("gần 50% dân số, 3,5 % và 12 phần trăm") == {"50", "3.5", "12"}
        passage = "Thế giới đã chịu đựng hơn 18 tháng COVID-19; gần 50% dân số thế giới chưa được kết nối."
        assert term_coverage("18% of the world is unconnected", passage).missing_numbers == 1
        assert term_coverage("50% of the world is unconnected", passage).missing_numbers == 0
        assert term_coverage("COVID-19 kéo dài 18 tháng", passage).missing_numbers == 0

    @pytest.mark.regression
    def test_regression_coverage_tells_a_neighbouring_topic_apart(self):
        q = VIETTEL_5G_PRICE_NO_YEAR
        assert term_coverage(q, "Giá cước 5G của Viettel là 100.000 đồng.").score == 1.0
        assert term_coverage(q, "Hội nghị ASEAN về 5G cuộc họp.").score < 0.5
        assert term_coverage("Hội nghị năm 2023?", "Hội nghị năm 2022").missing_numbers == 1

    def test_overlap_ratio_detects_copies(self):
        a = "Hội nghị ASEAN về 5G diễn ra ngay sau phiên toàn thể là sáng kiến của Việt Nam"
        assert overlap_ratio(a, "Mở đầu. " + a + " Kết thúc.") == 1.0
        assert overlap_ratio(a, "Một câu hoàn toàn khác về thời tiết ở Hà Nội hôm nay") == 0.0


class TestQuestionKinds:
    def test_answer_types(self):
        # answer_type reads the folded question (Query.folded)
        assert answer_type(fold("Có bao nhiêu đại biểu?")) == "quantity"
        assert answer_type(fold("How many countries?")) == "quantity"
        assert answer_type(fold("Hội nghị khai mạc khi nào?")) == "time"
        assert answer_type(fold("Ngay chuyen doi so la ngay nao?")) == "time"
        assert answer_type(fold("Ai là Tổng Giám đốc Viettel?")) == "person"
        assert answer_type(fold("Chủ đề là gì?")) == "other"

    def test_has_answer_of_type(self):
        assert has_answer_of_type(build_query("Bao nhiêu người?"), "160.000 người đã đến")
        assert not has_answer_of_type(build_query("Bao nhiêu gian hàng 3D?"), "các gian hàng 2D và 3D")
        assert has_answer_of_type(
            build_query("Ai là Tổng Giám đốc Viettel?"), "ông Lê Đăng Dũng, Tổng Giám đốc Viettel"
        )
        assert not has_answer_of_type(build_query("Khi nào khai mạc?"), "Hội nghị khai mạc trọng thể")

    @pytest.mark.regression
    def test_regression_english_detection(self):
        assert is_english("How many countries did the delegates come from?")
        assert not is_english(DIGITAL_DAY_NO_DIACRITICS)
        assert not is_english("Ai là Tổng Giám đốc?")

    def test_english_question_naming_a_vietnamese_person_is_english(self):
        assert is_english("According to Deputy Minister Nguyễn Huy Dũng, which year is the target?")
        assert not is_english("Theo Thứ trưởng Nguyễn Huy Dũng, mục tiêu là năm nào?")
        assert not is_english("ITU Digital World 2021 khai mạc khi nào?")


class TestRestoreDiacritics:
    PASSAGES = (
        "Tổng thư ký ITU Houlin Zhao đã dự hội nghị ITU Digital World 2021 ở Hà Nội.",
        "Ngày Chuyển đổi số quốc gia 10/10 được Thủ tướng phê duyệt; Việt Nam sẽ có các diễn đàn.",
    )

    @pytest.mark.regression
    def test_regression_runs_of_words_take_the_passages_spelling(self):
        restored = restore_diacritics(ITU_SECRETARY_GENERAL_NO_DIACRITICS, self.PASSAGES)
        assert restored == "Tổng thư ký ITU dự hội nghị ITU Digital World 2021 là ai?"

    def test_a_run_is_not_cut_short_by_a_greedy_shorter_match(self):
        # "các diễn" and "diễn đàn" both occur; the run "các diễn đàn" must keep "đàn"
        assert restore_diacritics("Viet Nam se co cac dien dan nao?", self.PASSAGES) == (
            "Việt Nam sẽ có các diễn đàn nào?"
        )

    def test_single_content_words_and_capitalised_names_stay_as_typed(self):
        # "noi" alone could be nói, nối or nơi; a capitalised "Nam" is a name, not "năm"
        assert restore_diacritics("Ong noi gi o Nam Dinh?", self.PASSAGES) == "Ong noi gì ở Nam Dinh?"

    def test_punctuation_breaks_a_run(self):
        assert "hội nghị" not in restore_diacritics("hoi, nghi", self.PASSAGES)

    def test_questions_with_marks_or_without_passages_are_unchanged(self):
        assert restore_diacritics("Hội nghi la gi?", self.PASSAGES) == "Hội nghi la gi?"
        assert restore_diacritics("Ngay chuyen doi so la ngay nao?", []) == "Ngay chuyen doi so la ngay nao?"

    @settings(deadline=None)  # the first call builds the n-gram table; timing is not the point here
    @given(st.text(alphabet=string.ascii_letters + " ,.?"))
    def test_only_marks_change_never_the_letters(self, question):
        restored = restore_diacritics(question, self.PASSAGES)
        assert fold_diacritics(restored).lower() == question.lower()
        assert normalize(restored) == restored

    def test_a_titled_person_is_told_from_places_and_organisations(self):
        q = "Ai là Tổng thư ký ITU?"
        assert names_new_person(q, "Tại đầu cầu Việt Nam, ông Houlin Zhao, Tổng thư ký ITU bày tỏ niềm vui.")
        assert names_new_person(q, "Phát biểu tại phiên bế mạc, Bộ trưởng Bộ TT&TT Nguyễn Mạnh Hùng cho biết.")
        # a place, an event, an acronym after a title, or the person the question already names
        assert not names_new_person(q, "Tổng thư ký ITU cho biết: tôi có thể sắp rời Hà Nội sau ITU Digital World.")
        assert not names_new_person("Bộ trưởng Nguyễn Mạnh Hùng nói gì?", "Bộ trưởng Nguyễn Mạnh Hùng cho biết.")


class TestLexicons:
    """Every word list in assistant/lang/lexicons/ loads, is non-empty, repeats nothing, and has its stated form.

    How each file is read decides what one entry is: `words` files are read with `lexicon()` (every
    whitespace-separated word is an entry), `pairs` with `lexicon_pairs()` (`key:value` words),
    `lines` with `lexicon_lines()` / `phrase_pattern()` (one entry, possibly several words, a line).
    """

    @staticmethod
    def raw_entries(name: str) -> list[str]:
        """The file's entries as written (duplicates kept), read independently of assistant.lang."""
        text = (LEXICONS / f"{name}.txt").read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if LEXICON_FORMS[name][0] == "lines":
            return lines
        return [word for line in lines for word in line.split()]

    def test_every_file_is_covered(self):
        assert sorted(p.stem for p in LEXICONS.glob("*.txt")) == sorted(LEXICON_FORMS)
        assert len(LEXICON_FORMS) == 14

    @pytest.mark.parametrize("name", sorted(LEXICON_FORMS))
    def test_loads_non_empty_with_a_header_and_no_duplicates(self, name):
        kind, _form = LEXICON_FORMS[name]
        text = (LEXICONS / f"{name}.txt").read_text(encoding="utf-8")
        assert text.startswith("#"), "the file opens with a comment saying what its entries are"
        entries = self.raw_entries(name)
        # the reader sees every entry the file writes, and nothing else
        if kind == "words":
            loaded = lexicon(name)
            assert loaded == frozenset(entries)
        elif kind == "pairs":
            loaded = lexicon_pairs(name)
            assert [f"{k}:{v}" for k, v in loaded.items()] == list(dict.fromkeys(entries))
        else:
            loaded = lexicon_lines(name)
            assert list(loaded) == entries
            assert phrase_pattern(name).pattern  # compiles
        assert loaded
        duplicates = sorted(e for e, n in Counter(entries).items() if n > 1)
        assert duplicates == [], f"{name}.txt repeats {duplicates}"

    @pytest.mark.parametrize("name", sorted(n for n, (_k, form) in LEXICON_FORMS.items() if form == "folded"))
    def test_folded_files_hold_folded_lower_case_text(self, name):
        for entry in self.raw_entries(name):
            assert not has_diacritics(entry), entry
            assert fold(entry) == entry, entry  # lower-case too: what `fold` gives and patterns match on
            assert " ".join(entry.split()) == entry, entry  # words one space apart

    # abbreviations are matched with str.endswith, not as a pattern (checked below)
    @pytest.mark.parametrize(
        "name", sorted(n for n, (k, form) in LEXICON_FORMS.items() if k == "lines" and form != "abbreviation")
    )
    def test_phrase_files_match_each_of_their_phrases_whole(self, name):
        pattern = phrase_pattern(name)
        for phrase in lexicon_lines(name):
            assert pattern.fullmatch(phrase), phrase
            assert pattern.search(f"x {phrase} y"), phrase
            assert not pattern.search(f"x{phrase}y"), phrase  # whole words only

    @pytest.mark.parametrize("name", ["english_words", "stopwords_en"])
    def test_english_files_hold_plain_lower_case_words(self, name):
        for word in self.raw_entries(name):
            assert word.isascii() and word.isalpha() and word.islower(), word

    def test_function_words_pair_a_folded_key_with_a_spelling_that_folds_back_to_it(self):
        entries = self.raw_entries("function_words_vi")
        for entry in entries:
            assert entry.count(":") == 1, entry
            key, value = entry.split(":")
            assert key and value, entry
            assert not has_diacritics(key) and fold(key) == key, entry
            assert normalize(value) == value and value == value.lower(), entry
            assert fold(value) == key, entry
        keys = [e.split(":")[0] for e in entries]
        assert len(keys) == len(set(keys))  # one spelling per folded word
        assert lexicon_pairs("function_words_vi") == dict(e.split(":") for e in entries)

    def test_abbreviations_end_in_a_period_and_do_not_end_a_sentence(self):
        for abbreviation in lexicon_lines("abbreviations"):
            assert abbreviation.endswith(".") and " " not in abbreviation, abbreviation
            assert normalize(abbreviation) == abbreviation, abbreviation
            text = f"Hôm qua có {abbreviation} Nguyễn Văn An dự họp."
            assert [s.text for s in split_sentences(text)] == [text], abbreviation
        # the control: a word not in the list does end the sentence
        assert len(split_sentences("Hôm qua có họp. Nguyễn Văn An dự họp.")) == 2
