"""Everything read from records alone: metrics, tables, plots, leaderboards and run comparison (AES, the gate)."""

from harness.report.tables import markdown_table, write_report

__all__ = ["markdown_table", "write_report"]
