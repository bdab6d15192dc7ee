"""Spec texts shared by tests that run commands against the seeded reference incident."""

from __future__ import annotations

VERIFIED_SPEC = """\
claimed_deployed_at = 2025-11-26T09:00:00Z
fixed_at = 2025-11-25T20:00:00Z
[aws]
region = "us-east-1"
endpoint_url = "{endpoint}"
[image]
repository = "content-marketing-swarm-backend"
[service]
cluster = "content-marketing-swarm-dev-cluster"
name = "content-marketing-swarm-dev-backend-service"
[logs]
group = "/ecs/content-marketing-swarm-dev"
[[hotfix]]
id = "websocket"
expect_logs = ["WebSocket client connected"]
"""
"""A spec the seeded incident verifies (``{endpoint}``: the emulator's URL): every check
passes, so a ``--wait`` run ends after one round."""
