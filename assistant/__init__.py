"""Trợ lý Chuyển đổi số: grounded, cited answers over Vietnamese news articles."""

__version__ = "0.1.0"
