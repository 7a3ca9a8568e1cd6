"""`python -m custos.cli`."""

from custos.cli import main

main()
