"""``python -m nimbus`` runs the CLI."""

from nimbus.cli.main import main

main()
