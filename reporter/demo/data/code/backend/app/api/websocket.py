"""The generation WebSocket: a client sends a brief, the swarm streams content back.

Protocol (JSON messages):

- client -> server: ``{"type": "generate", "title": ..., "brief": ..., "platforms": [...]}``
- server -> client: ``{"type": "chunk", "text": ...}`` while the model writes,
  then ``{"type": "content", "items": [...]}`` with one item per platform,
  then ``{"type": "done"}``; ``{"type": "error", "message": ...}`` on failure.
"""

import logging
import textwrap
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError

from app.services.content_parser import ContentItem, StreamingContentParser
from app.services.generator import GenerationError, stream_generation

logger = logging.getLogger(__name__)

router = APIRouter()

SUPPORTED_PLATFORMS = ("linkedin", "twitter", "pitch_deck")
DEFAULT_PLATFORMS = ["linkedin", "twitter", "pitch_deck"]
TITLE_PREVIEW_CHARS = 30


class GenerationRequest(BaseModel):
    """One ``generate`` message from the client."""

    type: str = "generate"
    title: str = Field(min_length=1, max_length=200)
    brief: str = Field(default="", max_length=20_000)
    brand: str | None = None
    platforms: list[str] = Field(default_factory=lambda: list(DEFAULT_PLATFORMS))


def normalise_platforms(requested: list[str]) -> list[str]:
    """Known platforms, in the order asked, without duplicates; all of them if none is known."""
    platforms: list[str] = []
    for name in requested:
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        if key in SUPPORTED_PLATFORMS and key not in platforms:
            platforms.append(key)
    return platforms or list(DEFAULT_PLATFORMS)


def preview(text: str) -> str:
    """A title short enough for one log line."""
    return textwrap.shorten(text, TITLE_PREVIEW_CHARS, placeholder="...")


async def send_items(websocket: WebSocket, items: list[ContentItem]) -> None:
    """Send the parsed content items to the client."""
    await websocket.send_json({"type": "content", "items": [item.model_dump() for item in items]})


async def relay(
    websocket: WebSocket,
    chunks: AsyncIterator[str],
    parser: StreamingContentParser,
) -> list[ContentItem]:
    """Forward each chunk to the client as it arrives and feed it to the parser."""
    items: list[ContentItem] = []
    async for chunk in chunks:
        await websocket.send_json({"type": "chunk", "text": chunk})
        items.extend(parser.feed(chunk))
    items.extend(parser.finish())
    return items


async def receive_request(websocket: WebSocket) -> GenerationRequest | None:
    """The next valid request, or None when the message is not one (the client is told)."""
    message: Any = await websocket.receive_json()
    try:
        return GenerationRequest.model_validate(message)
    except ValidationError as exc:
        await websocket.send_json({"type": "error", "message": str(exc)})
        return None


@router.websocket("/ws/generate")
async def generate(websocket: WebSocket) -> None:
    """Serve one client: generate content for each request until it disconnects."""
    await websocket.accept()
    client_id = str(uuid.uuid4())
    logger.info(f"WebSocket client connected: {client_id}")
    try:
        while True:
            request = await receive_request(websocket)
            if request is None:
                continue
            logger.info(f"Streaming generation request: {preview(request.title)}")
            await handle(websocket, request)
    except WebSocketDisconnect:
        logger.info(f"WebSocket client disconnected: {client_id}")


async def handle(websocket: WebSocket, request: GenerationRequest) -> None:
    """Generate, stream and parse the content for one request."""
    try:
        platforms = normalise_platforms(request.platforms)
        logger.info(f"Requested platforms: {platforms}")
        parser = StreamingContentParser(requested_platforms=platforms)
        chunks = stream_generation(
            title=request.title,
            brief=request.brief,
            brand=request.brand,
            platforms=platforms,
        )
        items = await relay(websocket, chunks, parser)
    except GenerationError as exc:
        logger.exception("Generation failed")
        await websocket.send_json({"type": "error", "message": str(exc)})
        return
    await send_items(websocket, items)
    await websocket.send_json({"type": "done"})
    logger.info(f"Generation complete: {len(items)} content item(s) sent to client")
