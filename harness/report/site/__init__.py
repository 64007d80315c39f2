"""The leaderboard site and trace viewer: static files that open from file:// with no network (docs/site.md)."""

from harness.report.site.build import build_site

__all__ = ["build_site"]
