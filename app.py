"""Entry point of the Gradio app, for `python app.py` and for Hugging Face Spaces (app_file)."""

import os

# Before Gradio is imported: no analytics, no version check, no hub calls.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "0" if os.environ.get("SPACE_ID") else "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.app.ui import launch

if __name__ == "__main__":
    launch()
