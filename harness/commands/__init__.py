"""One module per `stdb-harness` command family; harness/cli.py only parses and dispatches."""
