"""What the tagging workers' fork server imports once, before it forks any worker (when the
workers cannot be forked from the backfill's own process; see :mod:`bot.tag_worker`).

Importing this loads the tagger's code and its weights (~0.4 s together), so each worker forked from
the server starts with both already in memory instead of reading them again (see
:mod:`bot.tag_worker`). Nothing else imports it.
"""

import bot.tag_worker  # noqa: F401  (the workers' entry points)
from bot.tag_model import load_model

load_model().warm()
