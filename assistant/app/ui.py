"""The Gradio app: a Vietnamese chat page over `Assistant`, a corpus tab, and the `/ask` API.

Everything shown in the page that came from a user, a document or a model passes through
`inert()` first: HTML is escaped and Markdown punctuation turned into entities, so a question or
an article containing `<script>`, `<img onerror>` or `![](http://…)` is displayed as text and
never fetches or runs anything. Only the markup built here (answer, citation links, sources) is
HTML; Gradio's own sanitizer stays on as a second line of defence.

The app loads nothing from the network: analytics are off, the theme uses system fonts, and
server-side rendering (which needs Node) is off.
"""

from __future__ import annotations

import html
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.cite import MARKER, answer_sentences, marker_numbers
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.query import parse_history
from assistant.types import Answer, Citation, Message

log = logging.getLogger(__name__)

ASSETS = Path(__file__).with_name("ui_assets")
_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+!|~$<>]")

TEXT = {
    "title": "Trợ lý Chuyển đổi số",
    "intro": (
        "Hỏi đáp về các bài báo tiếng Việt về chuyển đổi số. Mỗi câu trả lời trích dẫn đoạn văn nguồn "
        "bằng số <b>[n]</b>: bấm vào số để đọc đoạn trích. Câu chưa được kiểm chứng hiển thị mờ, kèm dấu ⚠."
    ),
    "placeholder": "Đặt câu hỏi về các bài viết… (Enter để gửi)",
    "send": "Gửi",
    "clear": "Xoá hội thoại",
    "settings": "Cài đặt",
    "backend": "Cách trả lời",
    "top_k": "Số đoạn văn nguồn",
    "show_scores": "Hiện điểm truy xuất",
    "thinking": "Đang tìm trong các bài viết…",
    "loading_model": "(mô hình ngôn ngữ đang được nạp, chỉ lần đầu sau khi khởi động)",
    "sources": "Nguồn",
    "no_sources": "Không có nguồn nào được trích dẫn: các bài viết không chứa thông tin này.",
    "unverified": "chưa được kiểm chứng",
    "also_in": "cũng có trong",
    "chat_tab": "Hỏi đáp",
    "corpus_tab": "Kho bài viết",
    "upload": "Thêm bài viết (.txt, .md, .html)",
    "add": "Thêm và lập chỉ mục",
    "added": "Đã thêm «{title}» ({doc_id}): {chunks} đoạn, lập chỉ mục trong {seconds:.1f} giây.",
    "no_file": "Hãy chọn một tệp trước.",
    "internal_error": "Đã xảy ra lỗi nội bộ; hãy thử lại. Chi tiết đã được ghi vào nhật ký máy chủ.",
}
BACKEND_LABELS = {
    "local": "Mô hình cục bộ (Qwen2.5 1.5B, chạy trên CPU)",
    "openai": "API tương thích OpenAI",
    "transformers": "transformers (GPU / Space)",
    "extractive": "Trích nguyên văn (nhanh, không dùng LLM)",
}
EXAMPLES = [
    "Ai là Tổng Giám đốc Tập đoàn Viettel?",
    "ITU Digital World 2021 dien ra o dau?",
    "What is the theme of Vietnam International Digital Week 2022?",
]


# --- rendering (pure functions: what the page shows) --------------------------------------------
def inert(text: str) -> str:
    """Text that renders as itself in Gradio's Markdown+HTML: no tags, no links, no images."""
    escaped = html.escape(text, quote=True)
    return _MD_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", escaped).replace("\n", "<br>")


def render_user(question: str) -> str:
    return f'<div class="user-text">{inert(question)}</div>'


def render_partial(text: str) -> str:
    """The answer while it streams: plain text, markers as written, and a cursor."""
    return f'<div class="answer"><div class="answer-text">{inert(text)}▌</div></div>'


def render_error(message: str) -> str:
    return f'<div class="answer error-text">⚠ {inert(message)}</div>'


def _linked(sentence: str, turn: int, valid: set[int]) -> str:
    """Escape a sentence, turning each `[n]` marker into a link that opens source n."""
    out: list[str] = []
    last = 0
    for m in MARKER.finditer(sentence):
        out.append(inert(sentence[last : m.start()]))
        numbers = marker_numbers(m)
        out.append(
            "".join(
                f'<a class="cite" href="#nguon-{turn}-{n}">[{n}]</a>' if n in valid else f"&#91;{n}&#93;"
                for n in numbers
            )
        )
        last = m.end()
    out.append(inert(sentence[last:]))
    return "".join(out)


def supporting_span(citation: Citation) -> tuple[int, int] | None:
    """Where in the passage the answer is supported: its quote (the sentence `cite.py` found), if any."""
    if citation.quote and (start := citation.text.find(citation.quote)) >= 0:
        return start, start + len(citation.quote)
    return None


def render_source(citation: Citation, turn: int, show_scores: bool) -> str:
    span = supporting_span(citation)
    text = citation.text
    if span:
        a, b = span
        body = f"{inert(text[:a])}<mark>{inert(text[a:b])}</mark>{inert(text[b:])}"
    else:
        body = inert(text)
    parts = [f'<span class="page">{inert(citation.location)}</span>'] if citation.location else []
    parts += [inert(x) for x in (citation.date, citation.source, citation.doc_id) if x]
    meta = " · ".join(parts)
    if citation.also_in:
        meta += f" · {TEXT['also_in']} {inert(', '.join(citation.also_in))}"
    scores = f'<div class="scores">điểm: {citation.score:.4f}</div>' if show_scores else ""
    return (
        f'<details class="source" id="nguon-{turn}-{citation.n}">'
        f"<summary><b>[{citation.n}]</b> {inert(citation.title or citation.doc_id)} "
        f'<span class="meta">{meta}</span></summary>'
        f'<div class="passage">{body}</div>{scores}</details>'
    )


def render_answer(answer: Answer, turn: int, show_scores: bool = False) -> str:
    """The finished answer: linked markers, unverified sentences marked, sources below."""
    sentences = answer_sentences(answer.text)
    support = answer.support if len(answer.support) == len(sentences) else []
    valid = {c.n for c in answer.citations}
    parts = []
    for i, (sentence, _cited) in enumerate(sentences):
        shown = _linked(sentence, turn, valid)
        if support and not support[i].supported and not answer.refused:
            shown = f'<span class="chua-kiem-chung" title="{TEXT["unverified"]}">{shown}</span>'
        parts.append(shown)
    out = [f'<div class="answer"><div class="answer-text">{" ".join(parts)}</div>']
    if answer.notice:
        out.append(f'<div class="notice">{inert(answer.notice)}</div>')
    if answer.refused:
        # the rule that refused, in plain Vietnamese (its name is a tooltip, for whoever tunes it)
        reason = answer.decision.message_vi or TEXT["no_sources"]
        out.append(f'<div class="refusal-reason" title="{inert(answer.decision.reason)}">{inert(reason)}</div>')
    elif not answer.citations:
        out.append(f'<div class="no-sources">{TEXT["no_sources"]}</div>')
    else:
        out.append(f'<div class="sources"><div class="sources-title">{TEXT["sources"]}</div>')
        out.extend(render_source(c, turn, show_scores) for c in answer.citations)
        out.append("</div>")
    if show_scores and answer.retrieved:
        ranked = ", ".join(f"{inert(p.doc_id)} {p.score:.4f}" for p in answer.retrieved)
        out.append(f'<div class="scores">truy xuất: {ranked} · quyết định: {inert(answer.decision.reason)}</div>')
    out.append("</div>")
    return "".join(out)


def corpus_markdown(assistant: Assistant) -> str:
    """A short description of what the assistant knows: one line per indexed article (the first few)."""
    articles = assistant.indexed_articles()
    shown = articles[: assistant.settings.app.ui_summary_articles]
    lines = [f"**{len(articles):,} bài viết** trong kho:".replace(",", ".")]
    for a in shown:
        date = f" ({a.date})" if a.date else ""
        lines.append(f"- {inert(a.title or a.doc_id)}{inert(date)}")
    if len(articles) > len(shown):
        lines.append(f"- … và {len(articles) - len(shown):,} bài khác (xem thẻ Kho bài viết)".replace(",", "."))
    return "\n".join(lines)


def corpus_rows(assistant: Assistant) -> list[list[Any]]:
    articles = assistant.indexed_articles()[: assistant.settings.app.ui_table_articles]
    return [[a.doc_id, a.title, a.date, a.source, a.chunks] for a in articles]


# --- the app ------------------------------------------------------------------------------------
def build_app(assistant: Assistant):
    """The Gradio Blocks app (not launched); tests and `launch` share it."""
    import gradio as gr

    settings = assistant.settings
    reasons = assistant.available_backends()
    usable = [(BACKEND_LABELS[name], name) for name in BACKEND_LABELS if not reasons[name]]
    unusable = [f"{BACKEND_LABELS[name]}: {why}" for name, why in reasons.items() if why]
    default_backend = assistant.resolve_backend()
    if reasons.get(default_backend):
        default_backend = "extractive"

    def respond(question: str, chat: list, history: list, backend: str, top_k: float, show_scores: bool) -> Iterator:
        chat = list(chat or [])
        history = list(history or [])
        try:
            question = assistant.validate_question(question)
        except AssistantError as exc:
            chat += [{"role": "user", "content": render_user(question or "")}]
            chat += [{"role": "assistant", "content": render_error(exc.vi)}]
            yield "", chat, history
            return
        turn = sum(1 for m in chat if m["role"] == "assistant") + 1
        waiting = TEXT["thinking"]
        if assistant.loading(assistant.resolve_backend(backend)):
            waiting += " " + TEXT["loading_model"]
        chat += [
            {"role": "user", "content": render_user(question)},
            {"role": "assistant", "content": render_partial(waiting)},
        ]
        yield "", chat, history
        messages = [Message(m["role"], m["content"]) for m in history]
        try:
            stream = assistant.stream(question, messages, top_k=int(top_k), backend=backend)
            text = ""
            for token in stream:
                text += token
                chat[-1] = {"role": "assistant", "content": render_partial(text)}
                yield "", chat, history
            answer = stream.answer
            assert answer is not None
        except AssistantError as exc:
            chat[-1] = {"role": "assistant", "content": render_error(exc.vi)}
            yield "", chat, history
            return
        except Exception:
            log.exception("Answering failed")
            chat[-1] = {"role": "assistant", "content": render_error(TEXT["internal_error"])}
            yield "", chat, history
            return
        chat[-1] = {"role": "assistant", "content": render_answer(answer, turn, show_scores)}
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        yield "", chat, history

    def add_article(path: str | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio's idiom)
        if not path:
            return TEXT["no_file"], gr.update(), gr.update()
        progress(0, desc="Đang kiểm tra tệp…")
        try:
            raw = Path(path).read_bytes()
            article, report = assistant.add_article(Path(path).name, raw)
        except AssistantError as exc:
            return f"⚠ {exc.vi}", gr.update(), gr.update()
        chunks = next((a.chunks for a in assistant.indexed_articles() if a.doc_id == article.id), 0)
        message = TEXT["added"].format(title=article.title, doc_id=article.id, chunks=chunks, seconds=report.seconds)
        return message, corpus_rows(assistant), corpus_markdown(assistant)

    def ask(question: str, history: list[dict] | None = None) -> tuple[str, dict]:
        """Answer a question (after an optional chat history of {"role","content"} messages) with citations.

        Returns the answer text (Markdown, with [n] markers) and the full answer as JSON
        (citations with doc ids, retrieved passages, per-sentence support, timings).
        """
        try:
            answer = assistant.ask(question, parse_history(history or [], "history"))
        except AssistantError as exc:
            raise gr.Error(exc.vi) from exc
        return answer.text, answer.to_json()

    with gr.Blocks(title=TEXT["title"], analytics_enabled=False) as app:
        gr.Markdown(f"# {TEXT['title']}\n{TEXT['intro']}")
        with gr.Tab(TEXT["chat_tab"]):
            with gr.Accordion("Các bài viết", open=False):
                corpus_md = gr.Markdown(corpus_markdown(assistant))
            chat = gr.Chatbot(
                label="Hội thoại",
                height=560,
                latex_delimiters=[],
                feedback_options=None,
                elem_id="chat",
                placeholder="Hãy hỏi về chuyển đổi số, ITU Digital World 2021 hay Tuần lễ Số Quốc tế 2022.",
            )
            history = gr.State([])
            with gr.Row():
                question = gr.Textbox(
                    placeholder=TEXT["placeholder"],
                    show_label=False,
                    scale=8,
                    max_lines=6,
                    max_length=settings.answer.max_question_chars,
                    elem_id="question",
                    autofocus=True,
                )
                send = gr.Button(TEXT["send"], variant="primary", scale=1, elem_id="send")
            clear = gr.Button(TEXT["clear"], size="sm", elem_id="clear")
            gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
            with gr.Accordion(TEXT["settings"], open=False):
                backend = gr.Radio(
                    usable,
                    value=default_backend,
                    label=TEXT["backend"],
                    info=("Không dùng được: " + "; ".join(unusable)) if unusable else None,
                    elem_id="backend",
                )
                top_k = gr.Slider(1, 10, value=settings.context.top_k, step=1, label=TEXT["top_k"])
                show_scores = gr.Checkbox(False, label=TEXT["show_scores"])
            inputs = [question, chat, history, backend, top_k, show_scores]
            outputs = [question, chat, history]
            # one concurrency group for everything that runs the model: the queue, not threads, orders them
            for event in (question.submit, send.click):
                event(respond, inputs, outputs, api_visibility="private", concurrency_id="answer")
            clear.click(lambda: ([], [], ""), None, [chat, history, question], api_visibility="private", queue=False)
        with gr.Tab(TEXT["corpus_tab"]):
            table = gr.Dataframe(
                corpus_rows(assistant),
                headers=["Mã", "Tiêu đề", "Ngày", "Nguồn", "Số đoạn"],
                interactive=False,
                wrap=True,
            )
            upload = gr.File(label=TEXT["upload"], file_types=[".txt", ".md", ".html", ".htm"], type="filepath")
            add = gr.Button(TEXT["add"], elem_id="add-article")
            status = gr.Markdown(elem_id="upload-status")
            add.click(add_article, [upload], [status, table, corpus_md], api_name="add_article")
        gr.api(ask, api_name="ask", concurrency_id="answer")
    app.queue(default_concurrency_limit=settings.app.ui_concurrency, max_size=settings.app.ui_max_queue)
    return app


def theme():
    """Gradio's default look with system fonts: the default theme would fetch fonts from Google."""
    import gradio as gr

    return gr.themes.Default(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"])


def prepare(settings: Settings) -> Assistant:
    """Build the index if missing, then start loading the default model in the background.

    The page opens while the model loads (several seconds on a CPU): the corpus tab and the
    settings work at once, and a question asked meanwhile waits for the model and says so.
    """
    assistant = Assistant(settings)
    print(f"Đang kiểm tra chỉ mục tại {assistant.store.location}…", flush=True)
    report = assistant.ensure_index()
    if report:
        print(f"Đã lập chỉ mục: {report.summary()}", flush=True)
    assistant.retriever.warm_up()
    backend = assistant.resolve_backend()
    if backend != "extractive" and not assistant.available_backends().get(backend):
        print(f"Đang tải mô hình cho backend {backend} ở chế độ nền… (một lần, khi khởi động)", flush=True)
        assistant.preload(backend)
    return assistant


def bind_host(settings: Settings) -> str:
    """All interfaces inside a Hugging Face Space (its proxy must reach the app), loopback elsewhere."""
    return "0.0.0.0" if settings.app.space_id else settings.app.host


def launch(settings: Settings | None = None, port: int | None = None) -> None:
    """Start the app: 0.0.0.0 inside a Hugging Face Space, the configured host elsewhere."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    settings = settings or Settings()
    assistant = prepare(settings)
    app = build_app(assistant)
    app.launch(
        server_name=bind_host(settings),
        server_port=port or settings.app.port,
        theme=theme(),
        css=(ASSETS / "style.css").read_text(encoding="utf-8"),
        js=(ASSETS / "cite.js").read_text(encoding="utf-8"),
        ssr_mode=False,
        show_error=False,
        footer_links=["api"],
    )
