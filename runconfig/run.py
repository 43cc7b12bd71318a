"""``python -m runconfig.run train.py ARGS``: run a script on runconfig's ``wandb``.

The same as ``runconfig run`` (which needs the ``cli`` extra): the script, and every
Python process it starts, imports runconfig's ``wandb`` (see :mod:`runconfig._launch`)::

    python -m runconfig.run [--store PATH|URL] [--] train.py --lr 0.1
    python -m runconfig.run -m mypackage.train --lr 0.1
    python -m runconfig.run -c "import wandb; print(wandb.__version__)"

This file only serves ``python -m``: ``runconfig.run`` is the active run, so importing this
file as a module, which would hide that attribute behind a module, raises ``ImportError``.
"""

from __future__ import annotations

if __name__ != "__main__":
    raise ImportError(
        "runconfig.run is the active run, not a module to import: this file serves "
        "`python -m runconfig.run train.py`; its code is in runconfig._launch"
    )

from runconfig._launch import main

main()
