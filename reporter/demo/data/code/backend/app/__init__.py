"""Content Marketing Swarm backend: multi-platform marketing content, streamed over WebSockets."""
