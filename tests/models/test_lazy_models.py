"""The models package declares its modules on first use (models/__init__.py): every model
module is known to it, every public name resolves, and whatever configures the mappers or
reads the metadata sees every model."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import models
from models.base import Base

REPO = Path(__file__).resolve().parents[2]


def test_every_model_module_is_listed_and_every_name_resolves() -> None:
    found = {
        f"models.{info.name}" for info in pkgutil.iter_modules(models.__path__) if not info.ispkg
    }
    assert set(models.MODULES) == found, "add the module's names to models._HOMES"
    for name in models.__all__:
        value = getattr(models, name)
        assert value is getattr(importlib.import_module(models._HOMES[name]), name)
    for module in models.MODULES:
        declared = {
            n for n, v in vars(importlib.import_module(module)).items()
            if inspect.isclass(v) and issubclass(v, Base) and v.__module__ == module
        }  # fmt: skip
        assert declared <= set(models.__all__), f"{module}: export {declared - set(models.__all__)}"


# In a fresh interpreter: what one name declares, then what an ORM statement and Base bring.
PROBE = """
import json, sys
from sqlalchemy import select
from sqlalchemy.orm import Session
from models import Case
first = sorted(m for m in sys.modules if m.startswith("models."))
stmt = select(Case).where(Case.reports.any())  # an ORM statement: the mappers configure
str(stmt.compile())
after = sorted(m for m in sys.modules if m.startswith("models."))
from models import Base
print(json.dumps({"first": first, "after": after, "tables": len(Base.metadata.tables)}))
"""


def test_one_name_declares_its_module_and_the_orm_declares_the_rest() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["first"] == ["models.base", "models.cases", "models.schema"]
    assert result["after"] == sorted(models.MODULES)
    models.load_all()
    assert result["tables"] == len(Base.metadata.tables)
