"""What importing the tables leaves behind, in a fresh interpreter each: a table module is
defined when one of its names is first asked for (the jobs table without the promise tables),
every name of every module is found, and `load_all()` defines them all; pydantic's validators
are built when first used, not at import, and still validate and dump; the cyclic collector,
switched off while the tables are defined, is left as it was found."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FIRST_USE = """
import json
from decimal import Decimal
from pydantic import ValidationError
from sqlmodel import SQLModel
import storage.models as models

models.load_all()
tables = [m for m in vars(models).values()
          if isinstance(m, type) and issubclass(m, SQLModel) and m is not SQLModel]
built_at_import = sorted(t.__name__ for t in tables if t.__pydantic_complete__)
negotiation = models.Negotiation.model_validate({"owner_id": 1, "creditor": "bank",
                                                 "principal": "3000.50"})
try:
    models.Negotiation.model_validate({"owner_id": "one", "creditor": "bank"})
    refused = False
except ValidationError:
    refused = True
print(json.dumps({"tables": len(tables), "built_at_import": built_at_import,
                  "principal": str(negotiation.principal), "refused": refused,
                  "dumped": sorted(negotiation.model_dump(exclude={"created_at", "updated_at"}))}))
"""


def run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_a_tables_validator_is_built_at_its_first_use_and_validates():
    found = json.loads(run(FIRST_USE))
    assert found["tables"] > 20
    assert found["built_at_import"] == []
    assert found["principal"] == "3000.50"
    assert found["refused"] is True
    assert found["dumped"] == sorted(["id", "owner_id", "creditor", "collection_agency",
                                      "account_reference", "principal", "outstanding",
                                      "currency", "overdue_since", "status", "language",
                                      "archived_at", "archive_reason"])


@pytest.mark.parametrize("collecting", [True, False])
def test_defining_the_tables_leaves_the_collector_as_it_was(collecting):
    before = "" if collecting else "gc.disable(); "
    output = run(f"import gc; {before}from storage.models import Job; "
                 "print(gc.isenabled(), gc.get_freeze_count() > 0)")
    # Switched on again, with the tables' objects frozen; or left off, and nothing frozen.
    assert output.split() == [str(collecting), str(collecting)]


LAZY = """
import json, sys
from sqlmodel import SQLModel
import storage.models as models

loaded = lambda: sorted(name.rsplit(".", 1)[1] for name in sys.modules
                        if name.startswith("storage.models.") and name != "storage.models.types")
found = {"bare": loaded()}
from storage.models import Job, JobStatus
found["job"] = loaded()
found["job tables"] = sorted(SQLModel.metadata.tables)
try:
    models.NoSuchTable
    found["unknown"] = "found"
except AttributeError as error:
    found["unknown"] = str(error)
found["every name"] = {name: getattr(models, name).__module__ for module in models.MODULES
                       for name in __import__(f"storage.models.{module}",
                                              fromlist=["_"]).__all__
                       if hasattr(getattr(models, name), "__module__")}
models.load_all()
found["all tables"] = len(SQLModel.metadata.tables)
print(json.dumps(found))
"""


def test_a_table_module_is_defined_when_a_name_of_it_is_first_asked_for():
    found = json.loads(run(LAZY))
    assert found["bare"] == []
    assert found["job"] == ["core"]
    assert "job" in found["job tables"] and "promise" not in found["job tables"]
    assert "NoSuchTable" in found["unknown"]
    # Every exported name is reached through the package, from the module that defines it.
    assert found["every name"]["PromiseStatus"] == "storage.models.promises"
    assert found["every name"]["NegotiationShare"] == "storage.models.sharing"
    assert found["all tables"] == 30


@pytest.mark.parametrize("module", ["promises", "signin", "sharing", "hardship", "conduct"])
def test_a_table_module_imported_alone_brings_core_and_nothing_else(module):
    # The tables its foreign keys name are defined with it, and no module beside them.
    output = run(f"import sys, storage.models.{module}; print(sorted(name for name in "
                 "sys.modules if name.startswith('storage.models.')))")
    assert output.strip() == str(sorted({"storage.models.core", "storage.models.types",
                                         f"storage.models.{module}"}))
