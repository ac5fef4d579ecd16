"""Reading an exported session file in tests: every URL-bearing attribute and every ``@import``, so a test can
say that nothing would be fetched when the file is opened."""

from __future__ import annotations

import re
from html.parser import HTMLParser

URL_ATTRIBUTES = ("src", "href", "srcset", "action", "data", "poster", "xlink:href", "background", "formaction")


class ReferenceFinder(HTMLParser):
    """Collects tag names, URL attributes and the text of ``<style>`` elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.references: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in URL_ATTRIBUTES or (name == "style" and value and "url(" in value):
                self.references.append((tag, name, value or ""))
            if name == "style" and value:
                self.styles.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False if tag == "style" else self._in_style

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def external_references(document: str) -> list[str]:
    """Everything in ``document`` that a browser would fetch from elsewhere: scripts, links, frames, URL attributes
    that are not in-page anchors, CSS ``@import`` and ``url(…)``."""
    finder = ReferenceFinder()
    finder.feed(document)
    found = [f"<{tag}>" for tag in finder.tags if tag in ("script", "link", "iframe", "object", "embed", "img", "base")]
    found += [f"{tag} {name}={value}" for tag, name, value in finder.references if not value.startswith("#")]
    found += [f"css: {match}" for style in finder.styles for match in re.findall(r"@import[^;]*|url\([^)]*\)", style)]
    return found
