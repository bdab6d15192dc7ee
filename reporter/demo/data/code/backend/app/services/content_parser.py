"""Turns the model's streamed Markdown into one content item per platform.

The model writes one section per platform, each under a heading::

    ## LinkedIn
    ...
    ## Twitter
    ...
    ## Pitch Deck
    ...

Sections are emitted as soon as the next heading shows they are complete; whatever is
left when the stream ends is parsed by :meth:`StreamingContentParser.finish`.
"""

import logging
import re

from pydantic import BaseModel

logger = logging.getLogger(__name__)

# Hotfix (parser-regex-fix): match every platform heading, not just the first one, and
# accept "X" for Twitter and "Pitch deck" in any case.
PLATFORM_SECTION = re.compile(
    r"^#{1,3}[ \t]*(?P<name>LinkedIn|Twitter|X|Pitch[ _-]?Deck)\b[^\n]*$",
    re.IGNORECASE | re.MULTILINE,
)
PLATFORM_KEYS = {"linkedin": "linkedin", "twitter": "twitter", "x": "twitter"}


class ContentItem(BaseModel):
    """The content for one platform."""

    platform: str
    body: str


def platform_key(name: str) -> str:
    """``"Pitch Deck"`` -> ``"pitch_deck"``, ``"X"`` -> ``"twitter"``."""
    key = re.sub(r"[ _-]+", "_", name.strip().lower())
    return PLATFORM_KEYS.get(key, key)


class StreamingContentParser:
    """Collects streamed text and cuts it into per-platform items."""

    def __init__(self, requested_platforms: list[str]) -> None:
        self.requested_platforms = requested_platforms
        self._buffer = ""
        self._emitted = 0

    def feed(self, chunk: str) -> list[ContentItem]:
        """Add a chunk; return the sections it completed."""
        self._buffer += chunk
        headings = list(PLATFORM_SECTION.finditer(self._buffer))
        if len(headings) < 2:
            return []
        complete = self._buffer[: headings[-1].start()]
        self._buffer = self._buffer[headings[-1].start() :]
        return self._items(complete)

    def finish(self) -> list[ContentItem]:
        """Parse what is left in the buffer once the stream has ended."""
        buffer, self._buffer = self._buffer, ""
        logger.info(f"Parsing remaining buffered content ({len(buffer)} chars)")
        # Hotfix (force-task-restart): log every requested platform, not just the first.
        logger.info(
            f"Parsing final buffered content: length={len(buffer)}, "
            f"requested_platforms={self.requested_platforms}"
        )
        items = self._items(buffer)
        missing = [p for p in self.requested_platforms if p not in {i.platform for i in items}]
        if missing and not self._emitted:
            logger.warning(f"No content found for requested platforms: {missing}")
        return items

    def _items(self, text: str) -> list[ContentItem]:
        sections = list(PLATFORM_SECTION.finditer(text))
        logger.info(f"Found {len(sections)} platform sections in markdown")
        items = []
        for n, heading in enumerate(sections):
            end = sections[n + 1].start() if n + 1 < len(sections) else len(text)
            platform = platform_key(heading.group("name"))
            if platform not in self.requested_platforms:
                continue
            item = ContentItem(platform=platform, body=text[heading.end() : end].strip())
            self._emitted += 1
            logger.info(f"Parsed content item #{self._emitted}: platform={item.platform!r}")
            items.append(item)
        return items
