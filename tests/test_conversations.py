"""Saved conversations: what is kept, how it is listed and exported, and the key that encrypts them."""

from __future__ import annotations

from assistant.app import conversations


def test_saving_lists_the_newest_first_and_skips_empty_chats():
    turn = {"question": "Ai là Tổng Giám đốc Tập đoàn Viettel?", "answer": "Ông Lê Đăng Dũng [1].", "citations": []}
    saved = conversations.save([], "a", [{"role": "user", "content": "x"}], [], [turn])
    saved = conversations.save(saved, "b", [], [], [{**turn, "question": "Hội nghị ITU khai mạc khi nào?"}])
    assert [c["id"] for c in saved] == ["b", "a"]
    assert conversations.save(saved, "c", [], [], []) == saved  # nothing asked yet: nothing saved
    assert [label.split(" (")[0] for label, _ in conversations.choices(saved)] == [
        "Hội nghị ITU khai mạc khi nào?",
        "Ai là Tổng Giám đốc Tập đoàn Viettel?",
    ]
    assert [c["id"] for c in conversations.remove(saved, "b")] == ["a"]
    assert conversations.find(saved, "a")["turns"] == [turn]
    assert len(conversations.save([{"id": str(i)} for i in range(80)], "n", [], [], [turn])) == conversations.MAX_SAVED


def test_markdown_export_keeps_each_answer_with_its_sources():
    turns = [
        {
            "question": "Hội nghị ITU khai mạc khi nào?",
            "answer": "Hội nghị khai mạc tối 12/10 [1].",
            "citations": [
                {
                    "n": 1,
                    "doc_id": "bao-cao",
                    "title": "Báo cáo",
                    "location": "trang 3",
                    "quote": "Tối  12.10,\nkhai mạc.",
                }
            ],
        },
        {"question": "Công thức nấu phở?", "answer": "Không có thông tin.", "refused": True, "reason": "Ngoài chủ đề."},
    ]
    md = conversations.to_markdown("Hội nghị ITU", turns)
    assert md.startswith("# Hội nghị ITU\n")
    assert "## 1. Hội nghị ITU khai mạc khi nào?" in md and "Hội nghị khai mạc tối 12/10 [1]." in md
    assert "- [1] Báo cáo (bao-cao, trang 3): “Tối 12.10, khai mạc.”" in md
    assert "## 2. Công thức nấu phở?" in md and "*Ngoài chủ đề.*" in md


def test_the_browser_key_is_made_once_and_kept(tmp_path):
    key = conversations.browser_secret(None, tmp_path / "vs")
    assert len(key) >= 32 and conversations.browser_secret(None, tmp_path / "vs") == key  # a restart reuses it
    assert (tmp_path / "vs" / ".browser-secret").stat().st_mode & 0o077 == 0  # readable by the owner only
    assert conversations.browser_secret("mine", tmp_path / "other") == "mine"
    assert not (tmp_path / "other").exists()
