"""Generation and parsing services."""
