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
import json
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from assistant.app import conversations
from assistant.app.api import AnswerSlots
from assistant.cite import MARKER, answer_sentences, marker_numbers
from assistant.config import Settings
from assistant.errors import ArticleExistsError, AssistantError
from assistant.ingest.upload import UPLOAD_SUFFIXES
from assistant.pipeline import Assistant
from assistant.query import parse_history
from assistant.types import Answer, Citation, Message, Passage

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
    "clear": "Hội thoại mới",
    "settings": "Cài đặt",
    "backend": "Cách trả lời",
    "top_k": "Số đoạn văn nguồn",
    "show_scores": "Hiện điểm truy xuất",
    "thinking": "Đang tìm trong các bài viết…",
    "writing": "Đang viết câu trả lời từ các đoạn văn này…",
    "found": "Đoạn văn tìm được",
    "loading_model": "(mô hình ngôn ngữ đang được nạp, chỉ lần đầu sau khi khởi động)",
    "sources": "Nguồn",
    "no_sources": "Không có nguồn nào được trích dẫn: các bài viết không chứa thông tin này.",
    "unverified": "chưa được kiểm chứng",
    "also_in": "cũng có trong",
    "chat_tab": "Hỏi đáp",
    "corpus_tab": "Kho bài viết",
    "upload": "Thêm bài viết (.txt, .md, .html, .pdf, .docx)",
    "add": "Thêm và lập chỉ mục",
    "added": "Đã thêm «{title}» ({doc_id}): {chunks} đoạn, lập chỉ mục trong {seconds:.1f} giây.",
    "replace": "Thay thế bài cũ",
    "replaced": "Đã thay thế «{title}» ({doc_id}): {chunks} đoạn, lập chỉ mục trong {seconds:.1f} giây.",
    "chosen": "Bài viết đã chọn (bấm một dòng của bảng)",
    "remove": "Xoá bài viết",
    "confirm_remove": "Xoá khỏi kho bài viết ",
    "removed": "Đã xoá {doc_id} khỏi kho ({seconds:.1f} giây).",
    "no_article": "Hãy chọn một bài viết trước.",
    "no_file": "Hãy chọn một tệp trước.",
    "saved": "Hội thoại đã lưu (chỉ trong trình duyệt này)",
    "saved_pick": "Chọn một hội thoại",
    "open": "Mở",
    "forget": "Xoá",
    "export": "Tải hội thoại (Markdown)",
    "reopened": "Đã mở lại hội thoại đã lưu.",
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


def render_partial(text: str, preview: Sequence[Passage] = ()) -> str:
    """The answer while it streams: plain text, markers as written, a cursor, and the passages it reads.

    The passages are known before the model's first token (on a 2-core CPU that is seconds
    earlier), so the reader has something to look at at once; the finished answer replaces them
    with the sources it actually cites.
    """
    found = ""
    if preview:
        items = "".join(
            f'<li><b>[{n}]</b> {inert(p.title or p.doc_id)} <span class="meta">{inert(p.date)}</span>'
            f'<div class="passage">{inert(_snippet(p.text))}</div></li>'
            for n, p in enumerate(preview, start=1)
        )
        found = f'<div class="preview-sources"><div class="sources-title">{TEXT["found"]}</div><ol>{items}</ol></div>'
    return f'<div class="answer"><div class="answer-text">{inert(text)}▌</div>{found}</div>'


def _snippet(text: str, limit: int = 220) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


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
def build_app(assistant: Assistant, slots: AnswerSlots | None = None):
    """The Gradio Blocks app (not launched); tests and `launch` share it.

    `slots` is the model's one queue, shared with the OpenAI-compatible endpoint (`api.py`).
    """
    import gradio as gr

    settings = assistant.settings
    slots = slots or AnswerSlots(settings.app.ui_concurrency, settings.app.api_queue_timeout_s)
    reasons = assistant.available_backends()
    usable = [(BACKEND_LABELS[name], name) for name in BACKEND_LABELS if not reasons[name]]
    unusable = [f"{BACKEND_LABELS[name]}: {why}" for name, why in reasons.items() if why]
    default_backend = assistant.resolve_backend()
    if reasons.get(default_backend):
        default_backend = "extractive"
    exports = Path(tempfile.mkdtemp(prefix="tro-ly-exports-"))
    secret = settings.app.browser_secret.get_secret_value() if settings.app.browser_secret else None

    def respond(question: str, chat: list, history: list, turns: list, backend: str, top_k: float, show_scores: bool):
        chat, history, turns = list(chat or []), list(history or []), list(turns or [])
        try:
            question = assistant.validate_question(question)
        except AssistantError as exc:
            chat += [{"role": "user", "content": render_user(question or "")}]
            chat += [{"role": "assistant", "content": render_error(exc.vi)}]
            yield "", chat, history, turns
            return
        turn = sum(1 for m in chat if m["role"] == "assistant") + 1
        loading = f" {TEXT['loading_model']}" if assistant.loading(assistant.resolve_backend(backend)) else ""
        waiting = TEXT["thinking"] + loading
        chat += [
            {"role": "user", "content": render_user(question)},
            {"role": "assistant", "content": render_partial(waiting)},
        ]
        yield "", chat, history, turns
        messages = [Message(m["role"], m["content"]) for m in history]
        try:
            # searching needs no model slot: the passages show while an earlier answer still streams
            stream = assistant.stream(question, messages, top_k=int(top_k), backend=backend)
            preview = stream.context.passages if stream.context else []
            if preview:
                chat[-1] = {"role": "assistant", "content": render_partial(TEXT["writing"] + loading, preview)}
                yield "", chat, history, turns
            with slots.slot():
                text = ""
                for token in stream:
                    text += token
                    chat[-1] = {"role": "assistant", "content": render_partial(text, preview)}
                    yield "", chat, history, turns
                answer = stream.answer
                assert answer is not None
        except AssistantError as exc:
            chat[-1] = {"role": "assistant", "content": render_error(exc.vi)}
            yield "", chat, history, turns
            return
        except Exception:
            log.exception("Answering failed")
            chat[-1] = {"role": "assistant", "content": render_error(TEXT["internal_error"])}
            yield "", chat, history, turns
            return
        chat[-1] = {"role": "assistant", "content": render_answer(answer, turn, show_scores)}
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        turns.append(conversations.turn_record(question, answer))
        yield "", chat, history, turns

    # --- saved conversations (kept in this browser only) ---
    def keep(saved: list, conv_id: str, chat: list, history: list, turns: list):
        saved = conversations.save(saved, conv_id, chat, history, turns)
        return saved, gr.update(choices=conversations.choices(saved), value=conv_id if turns else None)

    def listed(saved: list):
        return gr.update(choices=conversations.choices(saved), value=None)

    def reopen(saved: list, conv_id: str | None):
        c = conversations.find(saved, conv_id)
        if c is None:
            return gr.update(), gr.update(), gr.update(), gr.update(), gr.update()
        return c["id"], c.get("chat", []), c.get("history", []), c.get("turns", []), TEXT["reopened"]

    def forget(saved: list, conv_id: str | None):
        saved = conversations.remove(saved, conv_id)
        return saved, gr.update(choices=conversations.choices(saved), value=None)

    def new_conversation():
        return conversations.new_id(), [], [], [], ""

    def export(saved: list, conv_id: str, turns: list):
        if not turns:
            return None
        c = conversations.find(saved, conv_id)
        title = c["title"] if c else turns[0]["question"]
        return str(conversations.export_file(exports, conv_id, title, turns))

    # --- the corpus ---
    def corpus_outputs(message: str, replace_visible: bool = False):
        ids = [a.doc_id for a in assistant.indexed_articles()][: settings.app.ui_table_articles]
        return (
            message,
            corpus_rows(assistant),
            corpus_markdown(assistant),
            gr.update(visible=replace_visible),
            gr.update(choices=ids, value=None),
        )

    def current_corpus():
        _message, rows, summary, _replace, ids = corpus_outputs("")
        return rows, summary, ids

    def upload(path: str | None, replace: bool, progress) -> tuple:
        if not path:
            return TEXT["no_file"], gr.update(), gr.update(), gr.update(visible=False), gr.update()
        progress(0, desc="Đang kiểm tra tệp…")
        try:
            raw = Path(path).read_bytes()
            article, report = assistant.add_article(Path(path).name, raw, replace=replace)
        except ArticleExistsError as exc:
            return f"⚠ {exc.vi}", gr.update(), gr.update(), gr.update(visible=True), gr.update()
        except AssistantError as exc:
            return f"⚠ {exc.vi}", gr.update(), gr.update(), gr.update(visible=False), gr.update()
        chunks = next((a.chunks for a in assistant.indexed_articles() if a.doc_id == article.id), 0)
        done = TEXT["replaced" if replace else "added"]
        message = done.format(title=article.title, doc_id=article.id, chunks=chunks, seconds=report.seconds)
        return corpus_outputs(message)

    def add_article(path: str | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008 (Gradio's idiom)
        return upload(path, False, progress)

    def replace_article(path: str | None, progress=gr.Progress(track_tqdm=True)):  # noqa: B008
        return upload(path, True, progress)

    def remove_article(doc_id: str | None):
        if not doc_id:  # nothing chosen, or the confirmation was cancelled
            return TEXT["no_article"], gr.update(), gr.update(), gr.update(), gr.update()
        try:
            report = assistant.remove_article(doc_id)
        except AssistantError as exc:
            return f"⚠ {exc.vi}", gr.update(), gr.update(), gr.update(), gr.update()
        return corpus_outputs(TEXT["removed"].format(doc_id=doc_id, seconds=report.seconds))

    def pick_row(evt: gr.SelectData):
        row = evt.row_value if isinstance(evt.row_value, list) else None
        return row[0] if row else gr.update()

    # Gradio finds the event argument by its annotation, which (postponed) cannot name a local import
    pick_row.__annotations__["evt"] = gr.SelectData

    def ask(question: str, history: list[dict] | None = None) -> tuple[str, dict]:
        """Answer a question (after an optional chat history of {"role","content"} messages) with citations.

        Returns the answer text (Markdown, with [n] markers) and the full answer as JSON
        (citations with doc ids, pages, retrieved passages, per-sentence support, timings).
        """
        try:
            with slots.slot():
                answer = assistant.ask(question, parse_history(history or [], "history"))
        except AssistantError as exc:
            raise gr.Error(exc.vi) from exc
        return answer.text, answer.to_json()

    with gr.Blocks(title=TEXT["title"], analytics_enabled=False) as app:
        gr.Markdown(f"# {TEXT['title']}\n{TEXT['intro']}")
        saved = gr.BrowserState([], storage_key="tro-ly-hoi-thoai", secret=secret)
        conv_id = gr.State(conversations.new_id)
        with gr.Tab(TEXT["chat_tab"]):
            with gr.Accordion("Các bài viết", open=False):
                corpus_md = gr.Markdown(corpus_markdown(assistant))
            with gr.Accordion(TEXT["saved"], open=True), gr.Row():
                past = gr.Dropdown([], label=TEXT["saved_pick"], scale=6, elem_id="past-chats", interactive=True)
                open_chat = gr.Button(TEXT["open"], size="sm", scale=1, elem_id="open-chat")
                forget_chat = gr.Button(TEXT["forget"], size="sm", scale=1, elem_id="forget-chat")
            chat = gr.Chatbot(
                label="Hội thoại",
                height=560,
                latex_delimiters=[],
                feedback_options=None,
                elem_id="chat",
                placeholder="Hãy hỏi về chuyển đổi số, ITU Digital World 2021 hay Tuần lễ Số Quốc tế 2022.",
            )
            history = gr.State([])
            turns = gr.State([])
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
            with gr.Row():
                clear = gr.Button(TEXT["clear"], size="sm", elem_id="clear")
                download = gr.DownloadButton(TEXT["export"], size="sm", elem_id="export")
            chat_status = gr.Markdown(elem_id="chat-status")
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
            inputs = [question, chat, history, turns, backend, top_k, show_scores]
            outputs = [question, chat, history, turns]
            private: dict[str, Any] = {"api_visibility": "private"}
            # one concurrency group for everything that runs the model: the queue, not threads, orders them
            for event in (question.submit, send.click):
                event(respond, inputs, outputs, concurrency_id="answer", **private).then(
                    keep, [saved, conv_id, chat, history, turns], [saved, past], **private
                ).then(export, [saved, conv_id, turns], [download], **private)
            clear.click(new_conversation, None, [conv_id, chat, history, turns, question], queue=False, **private)
            open_chat.click(reopen, [saved, past], [conv_id, chat, history, turns, chat_status], **private).then(
                export, [saved, conv_id, turns], [download], **private
            )
            forget_chat.click(forget, [saved, past], [saved, past], **private)
            app.load(listed, [saved], [past], **private)
        with gr.Tab(TEXT["corpus_tab"]):
            table = gr.Dataframe(
                corpus_rows(assistant),
                headers=["Mã", "Tiêu đề", "Ngày", "Nguồn", "Số đoạn"],
                interactive=False,
                wrap=True,
                elem_id="corpus-table",
            )
            with gr.Row():
                chosen = gr.Dropdown(
                    [a.doc_id for a in assistant.indexed_articles()][: settings.app.ui_table_articles],
                    label=TEXT["chosen"],
                    allow_custom_value=True,
                    scale=6,
                    elem_id="chosen-article",
                )
                remove = gr.Button(TEXT["remove"], variant="stop", scale=1, elem_id="remove-article")
            types = list(UPLOAD_SUFFIXES)
            file = gr.File(label=TEXT["upload"], file_types=types, type="filepath", elem_id="upload-file")
            with gr.Row():
                add = gr.Button(TEXT["add"], elem_id="add-article")
                replace = gr.Button(TEXT["replace"], variant="stop", visible=False, elem_id="replace-article")
            status = gr.Markdown(elem_id="upload-status")
            corpus_out = [status, table, corpus_md, replace, chosen]
            add.click(add_article, [file], corpus_out, api_name="add_article")
            replace.click(replace_article, [file], corpus_out, api_name="replace_article")
            confirm = f"(id) => (id && window.confirm({json.dumps(TEXT['confirm_remove'])} + id + '?')) ? id : null"
            remove.click(remove_article, [chosen], corpus_out, api_name="remove_article", js=confirm)
            table.select(pick_row, None, [chosen], **private)
        # the corpus as it is now, not as it was when the app started (uploads since, removals)
        app.load(current_corpus, None, [table, corpus_md, chosen], **private)
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
    assistant.warm_up()
    backend = assistant.resolve_backend()
    if backend != "extractive" and not assistant.available_backends().get(backend):
        print(f"Đang tải mô hình cho backend {backend} ở chế độ nền… (một lần, khi khởi động)", flush=True)
        assistant.preload(backend)
    return assistant


def bind_host(settings: Settings) -> str:
    """All interfaces inside a Hugging Face Space (its proxy must reach the app), loopback elsewhere."""
    return "0.0.0.0" if settings.app.space_id else settings.app.host


def launch(settings: Settings | None = None, port: int | None = None) -> None:
    """Serve the chat page and the OpenAI-compatible endpoint in one process, on one port.

    0.0.0.0 inside a Hugging Face Space, the configured host elsewhere.
    """
    import gradio as gr
    import uvicorn

    from assistant.app.api import build_api

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    settings = settings or Settings()
    if settings.app.browser_secret is None:
        secret = conversations.browser_secret(None, settings.index.persist_dir)
        settings.app.browser_secret = SecretStr(secret)
    assistant = prepare(settings)
    slots = AnswerSlots(settings.app.ui_concurrency, settings.app.api_queue_timeout_s)
    blocks = build_app(assistant, slots)
    key = settings.app.api_key.get_secret_value() if settings.app.api_key else None
    server = build_api(assistant, slots, key)
    gr.mount_gradio_app(
        server,
        blocks,
        path="",
        theme=theme(),
        css=(ASSETS / "style.css").read_text(encoding="utf-8"),
        js=(ASSETS / "cite.js").read_text(encoding="utf-8"),
        ssr_mode=False,
        show_error=False,
        footer_links=["api"],
    )
    host, port = bind_host(settings), port or settings.app.port
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    print(f"Trang hỏi đáp: http://{shown}:{port}/  ·  API tương thích OpenAI: http://{shown}:{port}/v1", flush=True)
    # open streams (a browser tab, a client's heartbeat) must not keep a stopped app alive
    uvicorn.run(server, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
