"""Telegram's formatted text: HTML parse mode turned into plain text and entities.

The bot sends HTML only, so that is what the simulator parses; it refuses what Telegram
refuses ("can't parse entities": an unescaped ``<`` or ``&``, an unknown tag, tags that do not
nest) so that a missing ``html.escape`` fails a test.
"""

from __future__ import annotations

import re
from typing import Any

JSONDict = dict[str, Any]

_ENTITY_TYPES = {
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
    "blockquote": "blockquote",
}
# A tag, a character reference, a character that must have been escaped, or plain text.
_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<tag>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>(?:\s+[a-zA-Z-]+"
    r"(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']*))?)*)\s*>"
    r"|&(?P<ref>#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z]+);"
    r"|(?P<bad>[<&])"
    r"|(?P<text>[^<&]+)"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']*))?")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Formatted text that Telegram would refuse with "can't parse entities"."""


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _char(ref: str, at: int) -> str:
    if ref[:2] in ("#x", "#X"):
        return chr(int(ref[2:], 16))
    if ref.startswith("#"):
        return chr(int(ref[1:]))
    if ref in _NAMED_REFS:
        return _NAMED_REFS[ref]
    raise EntityParseError(f'Unsupported HTML entity "&{ref};" at byte offset {at}')


def _entity(name: str, attrs: str, start: int, end: int) -> JSONDict | None:
    entity: JSONDict = {"type": _ENTITY_TYPES[name], "offset": start, "length": end - start}
    found = {m[1].lower(): (m[2] or "").strip("'\"") for m in _ATTR.finditer(attrs)}
    if name == "a":
        if "href" not in found:
            return None
        entity["url"] = found["href"]
    if name == "blockquote" and "expandable" in found:
        entity["type"] = "expandable_blockquote"
    return entity if end > start else None  # Telegram drops empty entities


def parse_html(source: str) -> tuple[str, list[JSONDict]]:
    """Parse Telegram HTML into plain text and entities; raises ``EntityParseError``."""
    out: list[str] = []
    offset = 0  # UTF-16 length of what is out so far
    stack: list[tuple[str, str, int]] = []  # open tags: name, attributes, offset
    entities: list[JSONDict] = []
    for token in _TOKEN.finditer(source):
        at = len(source[: token.start()].encode())
        if token["bad"]:
            raise EntityParseError(f"Unexpected end of name token at byte offset {at}")
        name = (token["tag"] or "").lower()
        if token["tag"] and name not in _ENTITY_TYPES:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        if token["tag"] and not token["close"]:
            stack.append((name, token["attrs"], offset))
        elif token["tag"]:
            if not stack or stack[-1][0] != name:
                raise EntityParseError(f'Unmatched end tag at byte offset {at}, found "</{name}>"')
            opened, attrs, start = stack.pop()
            entity = _entity(opened, attrs, start, offset)
            entities += [entity] if entity else []
        else:
            text = _char(token["ref"], at) if token["ref"] else token["text"]
            out.append(text)
            offset += utf16_len(text)
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


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
