"""Subcommands of `tracker`, one module per area; see tracker.cli.COMMANDS."""
