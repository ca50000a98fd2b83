"""The interpreters influxlp runs on: every CPython from 3.10 with its GIL.

Free-threaded CPython (``python3.13t`` and later) is refused at import for now: the extension
has not been checked for running without the GIL. Such a build with the GIL turned back on
(``PYTHON_GIL=1``) is an ordinary CPython and is accepted.
"""

from __future__ import annotations

import sys
import sysconfig


def require_supported_interpreter() -> None:
    """Raise ``ImportError`` on a free-threaded CPython whose GIL is disabled."""
    free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    if free_threaded and not gil_enabled:
        version = ".".join(map(str, sys.version_info[:2]))
        raise ImportError(
            f"influxlp does not support free-threaded CPython yet (this is python{version}t "
            "with the GIL disabled). Use a standard CPython build, or run this one with the "
            "GIL enabled: PYTHON_GIL=1 or python -X gil=1."
        )
