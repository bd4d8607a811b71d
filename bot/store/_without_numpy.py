"""Load sqlite-utils without letting it import numpy, so the bot's start-up and idle memory stay small.

Why: sqlite-utils imports numpy at import time whenever it is installed (only to map numpy scalar types
to column types, which paperboy never stores). numpy is installed as a dependency of matplotlib, which
draws the trends chart on demand; without this, every process would pay ~11 MB of RSS and ~0.5 s of
start-up for numpy before anyone asks for a chart. Imported first by :mod:`bot.store`, the only
package that imports sqlite-utils. When numpy is already loaded (a chart was drawn, a test imported it)
or sqlite-utils already is, nothing changes.
"""

import sys

if "numpy" not in sys.modules and "sqlite_utils" not in sys.modules:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes `import numpy` raise ImportError once
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]  # numpy imports normally from here on (matplotlib needs it)
