"""Evaluation harness: question files, metrics, runner and reports."""
