"""``python -m reporter``."""

from reporter.cli import entry

if __name__ == "__main__":
    entry()
