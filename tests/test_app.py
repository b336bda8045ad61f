"""The real app: `python app.py` on a loopback port, called with gradio_client and driven in Chromium.

The app runs the extractive backend here so the page answers in about a second; the local model's
timings are measured by `benchmarks/app_latency.py`. Screenshots go to `test-artifacts/`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, copy_seeds, free_port, wait_for_url
from tests.dev_regression import VIETTEL_CEO

pytestmark = pytest.mark.slow
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
    "--disable-component-update --disable-sync --window-size=1280,1500"
).split()


def start_app(base: Path, backend: str = "extractive", extra_env: dict[str, str] | None = None):
    """Start `python app.py` on a free port over a copy of the seeds; return (process, url, log path)."""
    port = free_port()
    env = {
        **os.environ,
        "ASSISTANT_LLM": backend,
        "ASSISTANT_CORPUS_DIR": str(copy_seeds(base / "seeds")),
        "ASSISTANT_PERSIST_DIR": str(base / "vectorstore"),
        "ASSISTANT_PORT": str(port),
        **(extra_env or {}),
    }
    env.pop("SPACE_ID", None)
    log = base / "app.log"
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for_url(url, proc, 240, "the app", log)
    return proc, url, log


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("app")
    proc, url, log = start_app(base)
    yield url, base, log
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    return Client(app[0], verbose=False)


@pytest.fixture
def browser():
    pytest.importorskip("selenium")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("Chromium and ChromeDriver are not installed (apt-get install chromium chromium-driver)")
    driver, profile = new_browser()
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def new_browser():
    """Headless Chromium with a profile of its own (its own localStorage); returns (driver, profile dir)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options), profile


_WATCH = """
const chat = document.querySelector('#chat');
const before = chat.querySelectorAll('.answer').length;
const t = (window.__timing = {});
new MutationObserver((_m, observer) => {
  const answers = chat.querySelectorAll('.answer');
  if (answers.length <= before) return;
  const last = answers[answers.length - 1], now = performance.now();
  t.shown = t.shown || now;
  const text = (last.querySelector('.answer-text') || last).textContent;
  if (!t.first && !arguments[0].some((w) => text.includes(w))) t.first = now;
  if (!t.sources && last.querySelector('.preview-sources li, .sources details')) t.sources = now;
  const preview = last.querySelector('.preview-sources');
  if (preview && t.previewText === undefined) t.previewText = preview.textContent;
  if (last.querySelector('.sources, .no-sources, .refusal-reason') || last.classList.contains('error-text')) {
    t.done = now; observer.disconnect();
  }
}).observe(chat, {subtree: true, childList: true, characterData: true});
t.start = performance.now();
"""


def ask_in_page(driver, url: str, question: str, timeout: float = 300) -> dict[str, float]:
    """Type a question, press Enter and wait for the finished answer.

    Returns seconds from Enter to: the answer bubble appearing (`shown_s`), the passages it
    reads (`sources_s`: the preview, or the final sources where no preview came first), the first
    streamed token of the answer itself (`first_token_s`), and the answer with its sources
    (`done_s`), timed in the page by a MutationObserver.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from assistant.app.ui import TEXT

    if driver.current_url != url:
        driver.get(url)
    box = WebDriverWait(driver, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "#question textarea"))
    box.send_keys(question)
    driver.execute_script(_WATCH, [TEXT["thinking"], TEXT["writing"]])
    box.send_keys(Keys.ENTER)
    t = WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script("return window.__timing.done ? window.__timing : null")
    )
    return {
        "shown_s": round((t["shown"] - t["start"]) / 1000, 3),
        "sources_s": round((t.get("sources", t["done"]) - t["start"]) / 1000, 3),
        "first_token_s": round((t.get("first", t["done"]) - t["start"]) / 1000, 3),
        "done_s": round((t["done"] - t["start"]) / 1000, 3),
        "preview": t.get("previewText", ""),
    }


# --- API -----------------------------------------------------------------------------------------
@pytest.mark.regression
def test_regression_api_ask_answers_with_the_right_article(client):
    text, answer = client.predict(VIETTEL_CEO, [], api_name="/ask")
    assert "Lê Đăng Dũng" in text and "[1]" in text
    assert answer["citations"][0]["doc_id"] == "003_b67893258f750185"
    assert answer["refused"] is False and set(answer["timings"]) >= {"retrieve_ms", "generate_ms", "total_ms"}


def test_api_follow_up_uses_the_history(client):
    history = [
        {"role": "user", "content": "ITU Digital World 2021 diễn ra ở đâu?"},
        {"role": "assistant", "content": "ITU Digital World 2021 diễn ra tại Hà Nội theo hình thức trực tuyến [1]."},
    ]
    _text, answer = client.predict("Sự kiện đó khai mạc ngày nào?", history, api_name="/ask")
    assert answer["retrieved"][0]["doc_id"].startswith(("000_", "003_"))


def test_api_refuses_off_topic_and_rejects_bad_input(client):
    _text, answer = client.predict("Ai là Tổng thư ký ITU năm 2024?", [], api_name="/ask")
    assert answer["refused"] is True and answer["citations"] == []
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="trống"):
        client.predict("   ", [], api_name="/ask")
    with pytest.raises(AppError, match="quá dài"):
        client.predict("chuyển đổi số " * 1000, [], api_name="/ask")
    with pytest.raises(AppError, match="role"):
        client.predict("Nó là gì?", [{"role": "system", "content": "x"}], api_name="/ask")


def test_upload_through_the_app_indexes_good_files_and_refuses_bad_ones(app, client, tmp_path):
    from gradio_client import handle_file

    bad = tmp_path / "cu.txt"
    bad.write_bytes("Đà và nhà".encode("cp1258"))
    status, *_ = client.predict(handle_file(str(bad)), api_name="/add_article")
    assert "UTF-8" in status and not (app[1] / "seeds" / "cu.txt").exists()

    good = tmp_path / "da-nang.html"
    good.write_text(
        "<html><title>Đà Nẵng thí điểm ví điện tử du lịch</title><body><p>Ngày 2/4/2023, Đà Nẵng thí điểm ví "
        "điện tử du lịch DaNangPay cho khách quốc tế tại 120 điểm bán.</p><script>alert(1)</script></body></html>",
        encoding="utf-8",
    )
    status, table, *_ = client.predict(handle_file(str(good)), api_name="/add_article")
    assert "Đã thêm" in status and "da-nang" in json.dumps(table, ensure_ascii=False)
    _text, answer = client.predict("Ví điện tử du lịch của Đà Nẵng tên là gì?", [], api_name="/ask")
    assert answer["citations"] and answer["citations"][0]["doc_id"] == "da-nang"


# --- real browser --------------------------------------------------------------------------------
@pytest.mark.regression
def test_regression_browser_streams_an_answer_and_opens_a_citation(app, browser):
    from selenium.webdriver.common.by import By

    url = app[0]
    timing = ask_in_page(browser, url, VIETTEL_CEO)
    answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
    assert "Lê Đăng Dũng" in answer.text
    source = answer.find_element(By.CSS_SELECTOR, "details.source")
    assert source.get_attribute("open") is None
    answer.find_element(By.CSS_SELECTOR, "a.cite").click()
    time.sleep(0.5)
    assert source.get_attribute("open") == "true"
    assert "Tổng Giám đốc Tập đoàn Viettel" in source.find_element(By.CSS_SELECTOR, "mark").text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "app-answer-with-sources.png"))
    (ARTIFACTS / "app-browser-timing.json").write_text(json.dumps({"backend": "extractive", **timing}))

    # a follow-up in the same conversation is understood through the history
    ask_in_page(browser, url, "Ông ấy nói về tác động của đại dịch nào?")
    assert "COVID" in browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1].text

    browser.find_element(By.CSS_SELECTOR, "#clear").click()
    time.sleep(1)
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat .answer")


@pytest.mark.regression
def test_regression_browser_shows_the_passages_while_the_local_model_loads_and_writes(tmp_path, browser):
    """Asked the moment the page opens: the passages show before the model (still loading) writes."""
    from selenium.webdriver.common.by import By

    pytest.importorskip("llama_cpp")
    proc, url, _log = start_app(tmp_path, "local")
    try:
        timing = ask_in_page(browser, url, VIETTEL_CEO)
        assert "Lê Đăng Dũng" in timing["preview"] and "[1]" in timing["preview"]
        assert timing["sources_s"] < timing["first_token_s"] <= timing["done_s"]
        answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
        assert not answer.find_elements(By.CSS_SELECTOR, ".preview-sources")  # the cited sources replaced it
        assert answer.find_elements(By.CSS_SELECTOR, ".sources details, .refusal-reason")
        # ready once the start-up load has also primed the English path, which may end after this answer
        deadline = time.monotonic() + 120
        while True:
            with urllib.request.urlopen(url + "health", timeout=5) as reply:
                health = json.load(reply)
            if health["ready"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert health == {"status": "ok", "backend": "local", "ready": True}
        (ARTIFACTS / "app-browser-timing-local.json").write_text(json.dumps({"backend": "local", **timing}))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class _ScriptedChat(BaseHTTPRequestHandler):
    """An OpenAI-compatible server whose model always gives `reply` (streamed or not)."""

    reply = ""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        head = {"id": "scripted", "created": 0, "model": "scripted"}
        if body.get("stream"):
            events = [
                {**head, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": word + " "}}]}
                for word in self.reply.split(" ")
            ]
            events.append(
                {
                    **head,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
            )
            data = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
            payload, kind = data.encode(), "text/event-stream"
        else:
            message = {"role": "assistant", "content": self.reply}
            reply = {
                **head,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }
            payload, kind = json.dumps(reply).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args):
        pass


@pytest.mark.regression
def test_regression_browser_marks_a_sentence_its_sources_do_not_back(tmp_path, browser):
    """A model reply with one backed sentence and one invented one (a count and a year no passage
    states): the page shows the invented sentence as not verified, and only that one."""
    from selenium.webdriver.common.by import By

    pytest.importorskip("langchain_openai")
    _ScriptedChat.reply = (
        "Tổng Giám đốc Tập đoàn Viettel là ông Lê Đăng Dũng [1]. "
        "Ông đã dẫn đầu 95 doanh nghiệp Việt Nam tới hội nghị năm 2017 [1]."
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptedChat)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    proc, url, _log = start_app(tmp_path, "openai", {"ASSISTANT_OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-x"})
    try:
        ask_in_page(browser, url, VIETTEL_CEO)
        answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
        flagged = [e.text for e in answer.find_elements(By.CSS_SELECTOR, ".answer-text .chua-kiem-chung")]
        assert len(flagged) == 1 and "95 doanh nghiệp" in flagged[0], answer.text
        assert "Lê Đăng Dũng" in answer.text and "Lê Đăng Dũng" not in flagged[0]
        browser.save_screenshot(str(ARTIFACTS / "app-unbacked-sentence.png"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()
        server.server_close()


def test_browser_shows_html_in_a_question_as_text_and_loads_nothing_external(app, browser):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    url = app[0]
    hostile = (
        '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> '
        "![x](http://203.0.113.9/track.png) <b>Viettel</b>"
    )
    ask_in_page(browser, url, hostile)
    user = browser.find_elements(By.CSS_SELECTOR, "#chat .user-text")[-1]
    assert "<script>window.__pwned=2</script>" in user.text and "![x](http://203.0.113.9/track.png)" in user.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat img[src='x'], #chat script, #chat .user-text b")
    assert browser.execute_script("return window.__pwned") is None
    with pytest.raises(NoAlertPresentException):
        _ = browser.switch_to.alert.text
    origin = url.rstrip("/")
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    external = [r for r in resources if not r.startswith((origin, "data:", "blob:"))]
    assert external == []


def test_browser_shows_markup_in_documents_and_answers_as_text(app, client, browser, tmp_path):
    """A document carrying <script>, <img onerror> and a Markdown image: quoted in the answer and the
    source, displayed literally, nothing runs, nothing is fetched."""
    from gradio_client import handle_file
    from selenium.webdriver.common.by import By

    hostile = tmp_path / "hue-bao-mat.txt"
    hostile.write_text(
        "Hội thảo bảo mật web Huế 2024\n20/04/2024\n"
        "Hội thảo bảo mật web Huế 2024 có 450 người tham dự <script>window.__pwned=3</script> "
        '<img src=x onerror="window.__pwned=4"> ![logo](http://203.0.113.9/logo.png) [bấm vào](javascript:alert(1)).\n'
        "Hội thảo do Đại học Huế tổ chức với sự tham gia của nhiều chuyên gia an ninh mạng trong nước.\n",
        encoding="utf-8",
    )
    status, *_ = client.predict(handle_file(str(hostile)), api_name="/add_article")
    assert "Đã thêm" in status
    url = app[0]
    browser.get(url)
    ask_in_page(browser, url, "Hội thảo bảo mật web Huế 2024 có bao nhiêu người tham dự?")
    answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
    answer.find_element(By.CSS_SELECTOR, "a.cite").click()
    assert "450" in answer.text and "<script>window.__pwned=3</script>" in answer.text
    assert "![logo](http://203.0.113.9/logo.png)" in answer.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat script, #chat img[src='x'], #chat a[href^='javascript']")
    assert browser.execute_script("return window.__pwned") is None
    origin = url.rstrip("/")
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert [r for r in resources if not r.startswith((origin, "data:", "blob:"))] == []


def test_browser_shows_why_an_off_topic_question_is_refused(app, client, browser, indexed):
    """An off-topic question is refused in the page, with the refusing rule's Vietnamese reason under the reply."""
    from selenium.webdriver.common.by import By

    question = "Công thức nấu phở bò ngon nhất là gì?"
    # the same question over the same seeds, asked in this process and through the app's API
    expected = indexed.ask(question).decision
    _text, api_answer = client.predict(question, [], api_name="/ask")
    assert api_answer["refused"] is True and api_answer["decision"]["reason"] == expected.reason
    assert expected.message_vi

    url = app[0]
    browser.get(url)
    ask_in_page(browser, url, question)
    answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
    assert not answer.find_elements(By.CSS_SELECTOR, "details.source, a.cite")
    reasons = answer.find_elements(By.CSS_SELECTOR, ".refusal-reason")
    assert len(reasons) == 1
    reason = reasons[0]
    assert reason.text.strip() == expected.message_vi
    assert reason.get_attribute("title") == expected.reason  # the rule's name, for whoever tunes it
    reply = answer.find_element(By.CSS_SELECTOR, ".answer-text")
    assert reply.text.strip() and reply.location["y"] < reason.location["y"]  # shown under the refusal
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "app-refusal-reason.png"))


# --- own documents, saved chats, the OpenAI-compatible endpoint ----------------------------------
def _upload_in_page(driver, url: str, path: Path, expect: str) -> str:
    """Open the corpus tab afresh, choose `path` in the upload box, press Add; the status once it says `expect`."""
    from selenium.webdriver.common.by import By

    from assistant.app.ui import TEXT

    driver.get(url)
    _open_tab(driver, TEXT["corpus_tab"])
    driver.find_element(By.CSS_SELECTOR, "#upload-file input[type=file]").send_keys(str(path))
    time.sleep(1.5)  # the file travels to the server before the button can use it
    return _click_and_wait(driver, "#add-article", expect)


def _click_and_wait(driver, button: str, expect: str) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.find_element(By.CSS_SELECTOR, button).click()
    return WebDriverWait(driver, 180).until(
        lambda d: (s := d.find_element(By.CSS_SELECTOR, "#upload-status").text) and expect in s and s
    )


def _open_tab(driver, label: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    tabs = "button[role=tab]"
    WebDriverWait(driver, 60).until(
        lambda d: next((b for b in d.find_elements(By.CSS_SELECTOR, tabs) if label in b.text), None)
    ).click()
    time.sleep(0.8)


def test_browser_uploads_a_pdf_and_a_word_file_and_cites_their_page_and_section(app, browser, tmp_path):
    from selenium.webdriver.common.by import By

    from tests.documents import make_docx, make_pdf, seed_paragraphs

    url = app[0]
    _title, itu = seed_paragraphs(n=6)
    pdf = tmp_path / "bao-cao-itu.pdf"
    preface = ["Mục lục và lời giới thiệu của báo cáo về chuyển đổi số năm 2021."] * 3
    pdf.write_bytes(make_pdf([preface, itu[:3], itu[3:]]))
    docx = tmp_path / "so-tay-an-ninh.docx"
    docx.write_bytes(
        make_docx(
            "Sổ tay an ninh mạng Quảng Ninh",
            [
                ("Giới thiệu", ["Sổ tay hướng dẫn cán bộ tỉnh Quảng Ninh bảo vệ tài khoản công vụ trên mạng."]),
                ("Mật khẩu", ["Mật khẩu công vụ ở Quảng Ninh phải dài ít nhất 14 ký tự và được đổi sau mỗi 90 ngày."]),
            ],
        )
    )
    assert "bao-cao-itu" in _upload_in_page(browser, url, pdf, "Đã thêm")
    # the same name again: refused until the replacement is confirmed
    _upload_in_page(browser, url, pdf, "Đã có bài viết")
    assert "bao-cao-itu" in _click_and_wait(browser, "#replace-article", "Đã thay thế")
    assert "so-tay-an-ninh" in _upload_in_page(browser, url, docx, "Đã thêm")

    browser.get(url)
    ask_in_page(browser, url, itu[4][:150])
    answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
    sources = answer.find_elements(By.CSS_SELECTOR, "details.source")
    pdf_source = next(s for s in sources if "bao-cao-itu" in s.text)
    answer.find_element(By.CSS_SELECTOR, f"a.cite[href$='-{pdf_source.get_attribute('id').rsplit('-', 1)[1]}']").click()
    time.sleep(0.5)
    assert pdf_source.get_attribute("open") == "true" and "trang 3" in pdf_source.text

    ask_in_page(browser, url, "Mật khẩu công vụ ở Quảng Ninh phải dài ít nhất bao nhiêu ký tự?")
    answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
    assert "14" in answer.find_element(By.CSS_SELECTOR, ".answer-text").text
    source = answer.find_element(By.CSS_SELECTOR, "details.source")
    assert "so-tay-an-ninh" in source.text and "mục Mật khẩu" in source.text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "app-docx-source.png"))


def test_browser_removes_an_article_and_it_is_gone_from_answers(app, client, browser, tmp_path):
    from gradio_client import handle_file
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from assistant.app.ui import TEXT

    doc = tmp_path / "can-tho-5g.txt"
    doc.write_text(
        "Cần Thơ phủ sóng 5G\n3/5/2023\nThành phố Cần Thơ đã phủ sóng 5G tại 85 trạm phát sóng ở các quận "
        "trung tâm vào tháng 5/2023.\nDự án do Sở Thông tin và Truyền thông Cần Thơ chủ trì.\n",
        encoding="utf-8",
    )
    status, *_ = client.predict(handle_file(str(doc)), api_name="/add_article")
    assert "Đã thêm" in status
    question = "Cần Thơ đã phủ sóng 5G tại bao nhiêu trạm phát sóng?"
    _text, before = client.predict(question, [], api_name="/ask")
    assert any(c["doc_id"] == "can-tho-5g" for c in before["citations"])

    url = app[0]
    browser.get(url)
    _open_tab(browser, TEXT["corpus_tab"])

    def cells(d):
        return [c for c in d.find_elements(By.CSS_SELECTOR, "#corpus-table [role=gridcell]") if c.text == "can-tho-5g"]

    WebDriverWait(browser, 30).until(cells)[0].click()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#chosen-article input").get_attribute("value") == "can-tho-5g"
    )
    browser.find_element(By.CSS_SELECTOR, "#remove-article").click()
    WebDriverWait(browser, 10).until(lambda d: d.switch_to.alert).accept()  # the confirmation
    WebDriverWait(browser, 120).until(lambda d: "Đã xoá" in d.find_element(By.CSS_SELECTOR, "#upload-status").text)
    assert not cells(browser)
    assert not (app[1] / "seeds" / "can-tho-5g.txt").exists()

    browser.get(url)
    ask_in_page(browser, url, question)
    answer = browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1]
    assert "can-tho-5g" not in answer.text and "85 trạm" not in answer.text


@pytest.mark.regression
def test_regression_browser_keeps_conversations_across_a_reload_and_only_in_this_browser(app, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url = app[0]
    browser.get(url)
    ask_in_page(browser, url, VIETTEL_CEO)
    time.sleep(2)  # saving runs after the answer
    browser.refresh()
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#question textarea"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#chat .answer")  # a reload opens a new chat…
    browser.find_element(By.CSS_SELECTOR, "#past-chats input").click()
    option = WebDriverWait(browser, 20).until(
        lambda d: next((o for o in d.find_elements(By.CSS_SELECTOR, ".options li") if "Viettel" in o.text), None)
    )
    option.click()
    browser.find_element(By.CSS_SELECTOR, "#open-chat").click()  # …and the saved one reopens
    WebDriverWait(browser, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#chat .answer")) == 1)
    assert "Lê Đăng Dũng" in browser.find_element(By.CSS_SELECTOR, "#chat .answer").text
    # the reopened chat goes on with its history: a follow-up still knows who "ông ấy" is
    ask_in_page(browser, url, "Ông ấy nói về tác động của đại dịch nào?")
    assert "COVID" in browser.find_elements(By.CSS_SELECTOR, "#chat .answer")[-1].text

    # exported as Markdown with its sources, through the page's download button
    downloads = Path(tempfile.mkdtemp(prefix="downloads-"))
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    time.sleep(2)  # the export file follows the save
    browser.find_element(By.CSS_SELECTOR, "#export").click()
    exported = WebDriverWait(browser, 30).until(lambda _d: next(iter(downloads.glob("hoi-thoai-*.md")), None))
    markdown = exported.read_text(encoding="utf-8")
    assert markdown.startswith(f"# {VIETTEL_CEO}") and "**Nguồn**" in markdown
    assert "Lê Đăng Dũng" in markdown and "[1]" in markdown and "## 2. Ông ấy nói về tác động" in markdown
    shutil.rmtree(downloads, ignore_errors=True)

    # deleted, it is gone from the list, also after a reload
    browser.refresh()
    past = WebDriverWait(browser, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "#past-chats input"))
    past.click()
    WebDriverWait(browser, 20).until(
        lambda d: next((o for o in d.find_elements(By.CSS_SELECTOR, ".options li") if "Viettel" in o.text), None)
    ).click()
    browser.find_element(By.CSS_SELECTOR, "#forget-chat").click()
    time.sleep(2)
    browser.refresh()
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "#past-chats input")).click()
    time.sleep(1)
    assert not [o for o in browser.find_elements(By.CSS_SELECTOR, ".options li") if "Viettel" in o.text]

    # another browser (its own profile) sees none of it
    other, profile = new_browser()
    try:
        other.get(url)
        WebDriverWait(other, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#past-chats input"))
        time.sleep(2)
        other.find_element(By.CSS_SELECTOR, "#past-chats input").click()
        time.sleep(1)
        assert not [o for o in other.find_elements(By.CSS_SELECTOR, ".options li") if "Viettel" in o.text]
    finally:
        other.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.mark.regression
def test_regression_the_openai_client_gets_cited_answers_streamed_and_not(app):
    from openai import OpenAI

    client = OpenAI(base_url=app[0] + "v1", api_key="not-needed")
    assert "tro-ly-chuyen-doi-so" in [m.id for m in client.models.list()]
    question = {"role": "user", "content": VIETTEL_CEO}
    reply = client.chat.completions.create(model="tro-ly-chuyen-doi-so", messages=[question])
    text = reply.choices[0].message.content
    assert "Lê Đăng Dũng" in text and "[1]" in text and reply.choices[0].finish_reason == "stop"
    citations = reply.model_extra["citations"]
    assert citations[0]["n"] == 1 and citations[0]["doc_id"] and citations[0]["quote"] and "page" in citations[0]

    stream = client.chat.completions.create(model="tro-ly-chuyen-doi-so", messages=[question], stream=True)
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == text
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["citations"] == citations

    follow_up = [
        question,
        {"role": "assistant", "content": text},
        {"role": "user", "content": "Ông ấy nói về đại dịch nào?"},
    ]
    reply = client.chat.completions.create(model="tro-ly-chuyen-doi-so:extractive", messages=follow_up)
    assert "COVID" in reply.choices[0].message.content

    refused = client.chat.completions.create(
        model="tro-ly-chuyen-doi-so", messages=[{"role": "user", "content": "Công thức nấu phở bò ngon nhất là gì?"}]
    )
    assert refused.model_extra["refused"] is True and refused.choices[0].finish_reason == "stop"
    assert refused.model_extra["citations"] == [] and refused.choices[0].message.content
