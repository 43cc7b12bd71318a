"""``python -m runconfig``: the ``runconfig`` command line."""

from runconfig.cli import main

if __name__ == "__main__":
    main(prog_name="runconfig")
