"""What importing the tables leaves behind, in a fresh interpreter each: pydantic's validators are
built when first used, not at import, and still validate and dump; the cyclic collector,
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
    output = run(f"import gc; {before}import storage.models; "
                 "print(gc.isenabled(), gc.get_freeze_count() > 0)")
    # Switched on again, with the tables' objects frozen; or left off, and nothing frozen.
    assert output.split() == [str(collecting), str(collecting)]
