"""``report.html``: the Markdown report as one self-contained page anyone can open.

The page is rendered from ``report.md`` itself, so the two cannot drift apart. Every chart is
inlined as a PNG ``data:`` URI and the style sheet is in the page: opening it makes no network
request and needs nothing beside it, so it can be mailed, attached to CI or opened offline.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

from markdown_it import MarkdownIt

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1200px; margin: 2em auto;
       padding: 0 1em; color: #1f2328; }
h1, h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3em; }
table { border-collapse: collapse; margin: 1em 0; max-width: 100%; font-size: 14px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: right;
         overflow-wrap: anywhere; }
th:first-child, td:first-child { text-align: left; }
tr:nth-child(2n) { background: #f6f8fa; }
img { max-width: 100%; }
code { background: #f6f8fa; padding: .1em .3em; border-radius: 4px; }
"""
"""Tables wrap inside their cells (``overflow-wrap: anywhere``) and never grow past the page:
a table in a scroll box would hide columns from a reader and from a printout alike."""
_IMAGE = re.compile(r'<img src="([^"/:]+\.png)"')


def inline_images(page: str, directory: Path) -> str:
    """Replace each ``<img src="chart.png">`` of a file in ``directory`` by a data URI."""

    def data_uri(match: re.Match[str]) -> str:
        payload = base64.b64encode((directory / match.group(1)).read_bytes()).decode("ascii")
        return f'<img src="data:image/png;base64,{payload}"'

    return _IMAGE.sub(data_uri, page)


def render_html(markdown: str, directory: Path, title: str) -> str:
    """The page for ``markdown`` whose charts are PNG files in ``directory``."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{inline_images(body, directory)}</body>\n</html>\n"
    )
