"""pyvi segmentation without scikit-learn is the same segmentation (see `assistant.lang.words._pyvi`)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Segments every paragraph of the seed articles; with "stock", sklearn_crfsuite (and with it
# scikit-learn) is imported first, as it would be in a process that had already imported it.
SCRIPT = """
import json, sys
from pathlib import Path
if sys.argv[1] == "stock":
    import sklearn_crfsuite  # noqa: F401
from assistant.lang.words import segment_words
files = sorted(Path("seeds").glob("*.txt"))
paragraphs = [p for f in files for p in f.read_text(encoding="utf-8").split("\\n") if p.strip()]
print(json.dumps({"words": [segment_words(p) for p in paragraphs], "sklearn": "sklearn" in sys.modules}))
"""


def _segment(mode: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout)


def test_segmentation_without_scikit_learn_matches_pyvis_own():
    ours, stock = _segment("ours"), _segment("stock")
    assert not ours["sklearn"] and stock["sklearn"]
    assert len(ours["words"]) > 50
    assert ours["words"] == stock["words"]
    assert any("chuyển_đổi" in words for words in ours["words"])  # compounds are still found
