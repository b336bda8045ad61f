"""User-facing errors: one family, so the CLI and UI can turn them into one clear line.

Anything that is not an `AssistantError` is a bug and is logged with its traceback.
Each error carries an English message (CLI) and a Vietnamese one (UI).
"""

from __future__ import annotations


class AssistantError(Exception):
    """An error the user caused or can fix; `vi` is the message shown in the Vietnamese UI."""

    def __init__(self, message: str, vi: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.vi = vi or message


class InvalidQuestionError(AssistantError):
    """The question is empty, too long or otherwise unusable."""


class InvalidInputFileError(AssistantError):
    """A file given by the user (history, questions, claims, upload) cannot be read or parsed."""


class ArticleExistsError(InvalidInputFileError):
    """An upload would overwrite an article; the app asks before replacing it."""

    def __init__(self, message: str, vi: str | None = None, doc_id: str = "") -> None:
        super().__init__(message, vi)
        self.doc_id = doc_id


class ArticleNotFoundError(InvalidInputFileError):
    """No article with the given document id."""


class EmptyCorpusError(AssistantError):
    """No readable article was found where the corpus should be."""


class StoreUnavailableError(AssistantError):
    """The vector store (embedded folder or Chroma server) cannot be reached or opened."""


class BackendUnavailableError(AssistantError):
    """The requested answer backend is not installed or not configured."""
