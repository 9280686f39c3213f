"""Playing against the agents: ``beasty play`` (terminal)."""
