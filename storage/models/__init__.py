"""The database tables (SQLModel) and their enums and column types: `core` (accounts,
negotiations, evidence, texts, jobs, custody), `conduct`, `promises`, `hardship`, `signin` (browser
sessions, known devices, failed sign-ins), `keys` (the vault and sealed secrets when they live in
the database), `sharing` (negotiations shared with a helper), `mail` (the email server for
reminders set on the settings page), and `types`.

Importing the package imports every table, so `SQLModel.metadata` is complete; `from
storage.models import Evidence` is the one way the rest of the project names a table.
"""

import gc

# Defining the tables (with SQLAlchemy, SQLModel and pydantic when they come first) makes over a
# hundred thousand objects that live as long as the process. The cyclic collector would walk them
# again and again while they are made and once more at exit, a sixth of a database command's CPU:
# it is off meanwhile, and they are frozen (never walked again, still freed once unreferenced).
_collecting = gc.isenabled()
gc.disable()
from storage.models import conduct, core, hardship, keys, mail, promises, sharing, signin
if _collecting:
    gc.freeze()
    gc.enable()
from storage.models.conduct import *  # noqa: F403
from storage.models.core import *  # noqa: F403
from storage.models.hardship import *  # noqa: F403
from storage.models.keys import *  # noqa: F403
from storage.models.mail import *  # noqa: F403
from storage.models.promises import *  # noqa: F403
from storage.models.sharing import *  # noqa: F403
from storage.models.signin import *  # noqa: F403

__all__ = [*core.__all__, *conduct.__all__, *promises.__all__, *signin.__all__,
           *hardship.__all__, *keys.__all__, *sharing.__all__, *mail.__all__]
