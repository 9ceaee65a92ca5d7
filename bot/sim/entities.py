"""Telegram's formatted text: HTML parse mode turned into plain text and entities.

The bot sends HTML only, so that is what the simulator parses; it refuses what Telegram
refuses ("can't parse entities") so that an unescaped ``<`` or ``&`` fails a test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

JSONDict = dict[str, Any]


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']*))?)*)\s*>"
)
_ATTR_RE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']*))?")
_CHAR_REF_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);")
_NAMED_CHAR_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Formatted text that Telegram would refuse with "can't parse entities"."""


@dataclass
class _OpenTag:
    name: str
    offset: int
    attrs: dict[str, str]
    language: str | None = None


class _HtmlParser:
    """Turns Telegram-flavoured HTML into (plain text, entities), refusing what Telegram refuses."""

    def __init__(self, source: str):
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.offset = 0  # UTF-16 length of ``out``
        self.stack: list[_OpenTag] = []
        self.entities: list[JSONDict] = []

    def parse(self) -> tuple[str, list[JSONDict]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "<":
                self._tag()
            elif char == "&":
                self._char_ref()
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def _byte_offset(self) -> int:
        return len(self.source[: self.pos].encode())

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.offset += utf16_len(text)

    def _char_ref(self) -> None:
        match = _CHAR_REF_RE.match(self.source, self.pos)
        if match is None:
            raise EntityParseError(
                f"Character entity expected at byte offset {self._byte_offset()}"
            )
        ref = match.group(1)
        if ref.startswith(("#x", "#X")):
            self._emit(chr(int(ref[2:], 16)))
        elif ref.startswith("#"):
            self._emit(chr(int(ref[1:])))
        elif ref in _NAMED_CHAR_REFS:
            self._emit(_NAMED_CHAR_REFS[ref])
        else:
            raise EntityParseError(
                f'Unsupported HTML entity "&{ref};" at byte offset {self._byte_offset()}'
            )
        self.pos = match.end()

    def _tag(self) -> None:
        match = _TAG_RE.match(self.source, self.pos)
        if match is None:
            raise EntityParseError(
                f"Unexpected end of name token at byte offset {self._byte_offset()}"
            )
        closing, name, raw_attrs = match.group(1) == "/", match.group(2).lower(), match.group(3)
        if name not in _HTML_ENTITY_TYPES:
            raise EntityParseError(
                f'Unsupported start tag "{name}" at byte offset {self._byte_offset()}'
            )
        if closing:
            self._close(name)
        else:
            self._open(name, _parse_attrs(raw_attrs))
        self.pos = match.end()

    def _open(self, name: str, attrs: dict[str, str]) -> None:
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError('Tag "span" must have class "tg-spoiler"')
        self.stack.append(_OpenTag(name, self.offset, attrs))

    def _close(self, name: str) -> None:
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        tag = self.stack.pop()
        if tag.name != name:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {self._byte_offset()}, expected "</{tag.name}>",'
                f' found "</{name}>"'
            )
        if name == "code" and self.stack and self.stack[-1].name == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
            css = tag.attrs.get("class", "")
            if css.startswith("language-"):
                self.stack[-1].language = css.removeprefix("language-")
            return
        entity = self._entity(tag)
        if entity is not None:
            self.entities.append(entity)

    def _entity(self, tag: _OpenTag) -> JSONDict | None:
        length = self.offset - tag.offset
        if length == 0:
            return None  # Telegram drops empty entities
        entity: JSONDict = {"type": _HTML_ENTITY_TYPES[tag.name], "offset": tag.offset}
        entity["length"] = length
        if tag.name == "a":
            if "href" not in tag.attrs:
                return None
            entity["url"] = tag.attrs["href"]
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attrs:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attrs.get("emoji-id", "")
        return entity


def _parse_attrs(raw: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTR_RE.finditer(raw):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs[match.group(1).lower()] = value
    return attrs


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into plain text and entities; raises ``EntityParseError``."""
    return _HtmlParser(source).parse()


def trim(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Telegram strips leading/trailing whitespace from messages and shifts entities along."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    limit = utf16_len(stripped)
    kept: list[JSONDict] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, limit)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
