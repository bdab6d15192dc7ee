"""Streams the model's Markdown for a generation request."""

import os
from collections.abc import AsyncIterator

from anthropic import APIError, AsyncAnthropic

MODEL = os.environ.get("GENERATION_MODEL", "claude-sonnet-4-5")
MAX_TOKENS = 8_000
PLATFORM_TITLES = {"linkedin": "LinkedIn", "twitter": "Twitter", "pitch_deck": "Pitch Deck"}


class GenerationError(RuntimeError):
    """The model could not produce the content."""


def build_prompt(title: str, brief: str, brand: str | None, platforms: list[str]) -> str:
    """The instructions: one Markdown section per requested platform."""
    headings = "\n".join(f"## {PLATFORM_TITLES[p]}" for p in platforms)
    voice = f"Write in the voice of {brand}." if brand else "Write in a clear, friendly voice."
    return (
        f"Create marketing content titled {title!r}.\n\n{brief}\n\n{voice}\n"
        f"Answer in Markdown with exactly these sections, in this order:\n{headings}\n"
    )


async def stream_generation(
    title: str, brief: str, brand: str | None, platforms: list[str]
) -> AsyncIterator[str]:
    """Yield the model's text as it arrives."""
    client = AsyncAnthropic()
    prompt = build_prompt(title, brief, brand, platforms)
    try:
        async with client.messages.stream(
            model=MODEL,
            max_tokens=MAX_TOKENS,
            messages=[{"role": "user", "content": prompt}],
        ) as stream:
            async for text in stream.text_stream:
                yield text
    except APIError as exc:
        raise GenerationError(f"generation failed: {exc}") from exc
