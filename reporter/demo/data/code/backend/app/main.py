"""The FastAPI application: health check, content history and the generation WebSocket."""

import logging
import os

from fastapi import FastAPI

from app.api import websocket

logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(message)s")
logger = logging.getLogger(__name__)

app = FastAPI(title="Content Marketing Swarm")
app.include_router(websocket.router)


@app.on_event("startup")
async def announce() -> None:
    """Say which build is starting, for the deployment logs."""
    environment = os.environ.get("ENVIRONMENT", "dev")
    version = os.environ.get("APP_VERSION", "unknown")
    logger.info(
        f"Content Marketing Swarm backend starting (environment={environment}, version={version})"
    )


@app.get("/health")
async def health() -> dict[str, str]:
    """The load balancer's health check."""
    return {"status": "ok"}
