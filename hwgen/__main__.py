"""Run the command line as ``python -m hwgen``."""

from hwgen.cli.main import main

if __name__ == "__main__":
    main(prog_name="hwgen")
