"""Conversations kept in the reader's browser: saving, listing, reopening, deleting, Markdown export.

The chats live in the browser's localStorage through Gradio's `BrowserState`, encrypted with a
key only the server knows: nothing of one browser's chats is sent to, or stored for, another, and
the server keeps no copy. The key is `ASSISTANT_BROWSER_SECRET`, or a random one made on the first
start and kept beside the index, so saved chats still open after the app restarts.

A saved conversation is a plain dict (what localStorage can hold):
`{"id", "title", "updated", "chat": [rendered messages], "history": [{"role","content"}],
"turns": [{"question", "answer", "citations": [...]}]}`; the newest comes first.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from assistant.types import Answer

MAX_SAVED = 50  # oldest conversations beyond this are dropped, so localStorage stays small
_TITLE_CHARS = 60


def browser_secret(configured: str | None, persist_dir: Path) -> str:
    """The key that encrypts saved chats: configured, else made once and kept in `persist_dir`."""
    if configured:
        return configured
    path = persist_dir / ".browser-secret"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    persist_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(key, encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path.read_text(encoding="utf-8").strip()


def new_id() -> str:
    return secrets.token_hex(8)


def turn_record(question: str, answer: Answer) -> dict[str, Any]:
    """What a finished turn keeps for the Markdown export: the question, the answer and its sources."""
    return {
        "question": question,
        "answer": answer.text,
        "refused": answer.refused,
        "reason": answer.decision.message_vi if answer.refused else "",
        "citations": [
            {"n": c.n, "doc_id": c.doc_id, "title": c.title, "location": c.location, "quote": c.quote or c.text}
            for c in answer.citations
        ],
    }


def save(saved: list | None, conv_id: str, chat: list, history: list, turns: list) -> list[dict]:
    """`saved` with this conversation stored (new or updated) as the newest; empty chats are not kept."""
    others = [c for c in (saved or []) if isinstance(c, dict) and c.get("id") != conv_id]
    if not turns:
        return others
    title = turns[0]["question"].strip().replace("\n", " ")
    if len(title) > _TITLE_CHARS:
        title = title[:_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
    current = {"id": conv_id, "title": title, "updated": int(time.time()), "chat": chat, "history": history}
    current["turns"] = turns
    return [current, *others][:MAX_SAVED]


def choices(saved: list | None) -> list[tuple[str, str]]:
    """(label, id) pairs for the list of past conversations, newest first."""
    out = []
    for c in saved or []:
        if isinstance(c, dict) and c.get("id"):
            when = time.strftime("%d/%m %H:%M", time.localtime(int(c.get("updated", 0))))
            out.append((f"{c.get('title', '')} ({when})", str(c["id"])))
    return out


def find(saved: list | None, conv_id: str | None) -> dict | None:
    return next((c for c in saved or [] if isinstance(c, dict) and c.get("id") == conv_id), None)


def remove(saved: list | None, conv_id: str | None) -> list[dict]:
    return [c for c in saved or [] if isinstance(c, dict) and c.get("id") != conv_id]


def to_markdown(title: str, turns: list[dict]) -> str:
    """One conversation as Markdown: each question, its answer with `[n]` markers, then its sources."""
    lines = [f"# {title or 'Hội thoại'}", ""]
    for i, t in enumerate(turns, start=1):
        lines += [f"## {i}. {t['question']}", "", t["answer"], ""]
        if t.get("refused") and t.get("reason"):
            lines += [f"*{t['reason']}*", ""]
        if t.get("citations"):
            lines += ["**Nguồn**", ""]
            for c in t["citations"]:
                where = ", ".join(x for x in (c.get("doc_id", ""), c.get("location", "")) if x)
                quote = " ".join(str(c.get("quote", "")).split())
                lines.append(f"- [{c['n']}] {c.get('title') or c.get('doc_id')} ({where}): “{quote}”")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def export_file(directory: Path, conv_id: str, title: str, turns: list[dict]) -> Path:
    """The conversation written as `hoi-thoai-<id>.md` in `directory` (a per-process temporary folder)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"hoi-thoai-{conv_id}.md"
    path.write_text(to_markdown(title, turns), encoding="utf-8")
    return path
