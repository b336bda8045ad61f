"""Every refusal, in one place, as named rules: answer or refuse, and why.

Before anything is written, the rules read the `Query`, the `Retrieval` and the `Context` the
reader would be shown; after a reply is written, they read it and its support marks. The first
rule that objects decides: its name is the refusal's `reason`, with a `detail` for logs and JSON
and a message in plain Vietnamese for the app. Any rule can be switched off by name
(`ASSISTANT_RULES_OFF=low_coverage,off_topic`), and `benchmarks/ablation.py` measures what each
is worth by running the evaluation with it off.

A small model invents an answer when what it reads does not hold one, so the rules refuse before
the model runs when the passages plainly lack what the question names; after it runs, a reply
that says it does not know, only restates the question, or states nothing the passages back is a
refusal too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace

from assistant.cite import REPAIRS
from assistant.config import DecideSettings
from assistant.errors import AssistantError
from assistant.lang import lexicon, phrase_pattern
from assistant.lang.facts import extract_facts, fact_held
from assistant.lang.normalize import fold
from assistant.lang.words import content_terms, missing_terms, term_coverage
from assistant.types import ANSWERED, Answer, Context, Decision, Query, Retrieval

Weight = Callable[[str], float]
# steps of the pipeline that are not refusals but can be switched off the same way
PIPELINE_STEPS = ("other_event_search",)
_TOP_PASSAGES = 5


@dataclass(frozen=True)
class Rule:
    """One refusal rule: its name, when it runs, which answerers it guards, and the check itself."""

    name: str
    stage: str  # "before" (the model runs) or "after" (the reply is written)
    check: Callable[..., Decision | None]
    answerers: frozenset[str] | None = None  # "extractive", "llm"; None: every answerer

    @property
    def doc(self) -> str:
        return (self.check.__doc__ or "").strip().splitlines()[0]


def _refuse(rule: str, detail: str, message_vi: str) -> Decision:
    return Decision(False, rule, detail, message_vi)


# --- before the answer is written -------------------------------------------------------------------
def no_passages(query: Query, retrieval: Retrieval, context: Context, s: DecideSettings, idf: Weight):
    """Nothing was retrieved: the corpus is empty or holds nothing searchable."""
    if not context.passages:
        return _refuse("no_passages", "no passage retrieved", "Kho bài viết không có đoạn nào để trả lời câu hỏi này.")
    return None


def off_topic(query: Query, retrieval: Retrieval, context: Context, s: DecideSettings, idf: Weight):
    """The best passage is far from the question (e5 similarity below the floor): another subject.

    e5 similarities are compressed (related Vietnamese news scores 0.8-0.95), so the floor only
    catches questions about other subjects. English questions against Vietnamese passages score
    lower, so they have their own floor. e5 similarity drops for Vietnamese typed without
    diacritics; there the folded terms are the better witness, so near-full key-term coverage of
    the first passages also counts as on-topic.
    """
    floor = s.min_dense_similarity_en if query.english else s.min_dense_similarity
    if retrieval.best_dense >= floor:
        return None
    if query.typed_without_diacritics:
        top = "\n".join(p.text for p in retrieval.passages[:_TOP_PASSAGES])
        if term_coverage(query.standalone, top, idf).score >= s.min_coverage_folded:
            return None
    return _refuse(
        "off_topic",
        f"best passage similarity {retrieval.best_dense:.3f} < {floor}",
        "Không tìm thấy đoạn nào trong các bài viết nói về chủ đề của câu hỏi này.",
    )


def question_fact_missing(query: Query, retrieval: Retrieval, context: Context, s: DecideSettings, idf: Weight):
    """A value the question states (a year, a date, a number, a share) is in no passage the reader is shown.

    "Ai là Tổng thư ký ITU năm 2024?" over articles of 2021 would be answered about 2021. Values
    compare as values (`lang/facts.py`): "ngày 12/10" is held by "12 - 14/10", "2021" by
    "14/10/2021". The question's own wording of a count's noun need not match the passage's, so
    only the value is compared.
    """
    held = extract_facts(context.evidence(), False)
    # an event's year is stated once, in its article's opening sentence, not in every passage
    years = extract_facts("\n".join(dict.fromkeys(p.about for p in context.passages)), False)
    missing = [
        f
        for f in query.facts
        if not fact_held(replace(f, noun="", role=""), held + years if f.kind == "year" else held)
    ]
    if not missing:
        return None
    shown = ", ".join(f.text for f in missing)
    return _refuse("question_fact_missing", f"not in the passages: {shown}", f"Không tìm thấy đoạn nào nêu {shown}.")


def low_coverage(query: Query, retrieval: Retrieval, context: Context, s: DecideSettings, idf: Weight):
    """What the model is shown holds too few of the question's key terms: it answers a neighbouring question."""
    return _coverage_below("low_coverage", query, context.evidence(), s.min_coverage, idf, "đoạn")


def _coverage_below(rule: str, query: Query, text: str, floor: float, idf: Weight, unit: str) -> Decision | None:
    """Refuse, naming the key terms `text` lacks, when it holds less than `floor` of the question's.

    Only the user's own Vietnamese words are checked: a question too short to check ("Nó diễn ra
    khi nào?") and English questions (against Vietnamese text they share few terms) pass.
    """
    if query.english or not query.self_contained:
        return None
    coverage = term_coverage(query.text, text, idf).score
    if coverage >= floor:
        return None
    missing = missing_terms(query.text, text)
    about = " ".join(missing[:6]) or query.text
    return _refuse(
        rule,
        f"key-term coverage {coverage:.2f} < {floor}; missing: {', '.join(missing)}",
        f"Không tìm thấy {unit} nào trong các bài viết nói về «{about}».",
    )


_KIND_VI = {"quantity": "con số", "time": "thời điểm", "person": "người"}


def no_answer_of_type(query: Query, retrieval: Retrieval, context: Context, s: DecideSettings, idf: Weight):
    """The question asks for a number, a date or a person, and no sentence shown holds a new one."""
    if query.answer_type == "other" or any(sentence.has_answer_type for sentence in context.sentences):
        return None
    kind = _KIND_VI[query.answer_type]
    return _refuse(
        "no_answer_of_type",
        f"no sentence holds a {query.answer_type} answer",
        f"Các đoạn tìm được không nêu {kind} nào trả lời câu hỏi.",
    )


# --- after the reply is written -------------------------------------------------------------------------
def model_refused(query: Query, context: Context, draft: Answer, reply: str, s: DecideSettings, idf: Weight):
    """The model said it found no answer (or wrote nothing)."""
    if reply.strip() and not phrase_pattern("model_refusals").search(fold(reply)):
        return None
    return _refuse(
        "model_refused",
        "the model found no answer in the passages",
        "Mô hình không tìm thấy câu trả lời trong các đoạn được đưa cho nó.",
    )


def unsupported_answer(query: Query, context: Context, draft: Answer, reply: str, s: DecideSettings, idf: Weight):
    """No sentence of the reply that says something new is backed by the passage it cites (`verify.py`).

    A reply that only restates the question with a marker ("… diễn ra tại khách sạn [1].") or adds
    only words saying the answer is unknown ("… là chưa được xác định [1].") says nothing new.
    """
    if not draft.support:
        return None
    if any(sentence.supported and adds_to(query.text, sentence.sentence) for sentence in draft.support):
        return None
    failed = next((sentence.reason for sentence in draft.support if sentence.reason), "")
    return _refuse(
        "unsupported_answer",
        f"no sentence of the reply is backed by its passage ({failed})" if failed else "no backed sentence",
        "Câu trả lời của mô hình không được đoạn nguồn nào xác nhận, nên không được hiển thị.",
    )


def model_check(query: Query, context: Context, draft: Answer, reply: str, s: DecideSettings, idf: Weight):
    """Asked again right after writing, the model does not stand by its reply (`ASSISTANT_MODEL_CHECK`).

    Runs only when switched on and the backend can say (a local model: `LLMAnswerer.second_opinion`).
    """
    if draft.check_score is None or draft.check_score >= s.min_model_check:
        return None
    return _refuse(
        "model_check",
        f"the model's second opinion P(Yes) {draft.check_score:.3f} < {s.min_model_check}",
        "Khi tự kiểm tra lại, mô hình không xác nhận câu trả lời từ các đoạn nguồn, nên nó không được hiển thị.",
    )


def quote_off_question(query: Query, context: Context, draft: Answer, reply: str, s: DecideSettings, idf: Weight):
    """The passages a quote comes from hold too few of the question's key terms: it answers a neighbour.

    "Giá cước 5G" answered with "Hội nghị ASEAN về 5G …". On the external sets' fit split (171 and
    202 Vietnamese questions), at 0.6: key facts 0.503 / 0.545 and wrong answers 0.328 / 0.313, against
    0.626 / 0.733 and 0.374 / 0.383 without it. Checked after the quote is chosen, on its own
    passages: checked before, on every passage shown (`low_coverage`), it cost right answers and
    caught no more wrong ones.
    """
    quoted = "\n".join(c.text for c in draft.citations)
    return _coverage_below("quote_off_question", query, quoted, s.min_quote_coverage, idf, "câu")


def adds_to(question: str, text: str) -> bool:
    """Does `text` name anything `question` did not (beyond words that say the answer is unknown)?"""
    asked = set(content_terms(question)) | lexicon("unknown_words")
    return any(t not in asked for t in content_terms(text))


RULES: tuple[Rule, ...] = (
    Rule("no_passages", "before", no_passages),
    Rule("off_topic", "before", off_topic),
    Rule("question_fact_missing", "before", question_fact_missing),
    # a quote is checked on its own passages instead (quote_off_question)
    Rule("low_coverage", "before", low_coverage, frozenset({"llm"})),
    Rule("no_answer_of_type", "before", no_answer_of_type, frozenset({"extractive"})),
    # a quote is the passage's own sentence: these judge what a model wrote
    Rule("model_refused", "after", model_refused, frozenset({"llm"})),
    Rule("unsupported_answer", "after", unsupported_answer, frozenset({"llm"})),
    Rule("model_check", "after", model_check, frozenset({"llm"})),
    Rule("quote_off_question", "after", quote_off_question, frozenset({"extractive"})),
)
_ALWAYS_ON = {"no_passages"}  # nothing to answer from: switching it off would change nothing but crash


def switchable() -> list[str]:
    """Every name `ASSISTANT_RULES_OFF` accepts: refusal rules, citation repairs, optional pipeline steps."""
    return [r.name for r in RULES if r.name not in _ALWAYS_ON] + list(REPAIRS) + list(PIPELINE_STEPS)


def check_rules_off(names: Collection[str]) -> None:
    """An unknown name in ASSISTANT_RULES_OFF is an error that lists the known ones (a typo must not pass)."""
    unknown = sorted(set(names) - set(switchable()))
    if unknown:
        raise AssistantError(
            f"ASSISTANT_RULES_OFF names unknown rules {', '.join(unknown)}; known: {', '.join(switchable())}"
        )


def _active(stage: str, answerer: str, off: Collection[str]) -> list[Rule]:
    return [
        r
        for r in RULES
        if r.stage == stage
        and (r.name in _ALWAYS_ON or r.name not in off)
        and (r.answerers is None or answerer in r.answerers)
    ]


def before_answer(
    query: Query, retrieval: Retrieval, context: Context, answerer: str, settings: DecideSettings, idf: Weight
) -> Decision:
    """May `answerer` answer from `context`? The first rule that objects refuses."""
    for rule in _active("before", answerer, settings.rules_off):
        decision = rule.check(query, retrieval, context, settings, idf)
        if decision is not None:
            return decision
    return ANSWERED


def after_answer(
    query: Query, context: Context, draft: Answer, reply: str, answerer: str, settings: DecideSettings, idf: Weight
) -> Decision:
    """May the written reply be shown? The first rule that objects withholds it."""
    for rule in _active("after", answerer, settings.rules_off):
        decision = rule.check(query, context, draft, reply, settings, idf)
        if decision is not None:
            return decision
    return ANSWERED
