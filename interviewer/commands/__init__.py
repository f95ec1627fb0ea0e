"""One module per CLI subcommand; see interviewer/cli.py."""
