"""Pickles the program keeps in its cache folder, read back by an unpickler that finds only what its caller allows.

A pickle can name any function for its reader to call. The caches are trusted as far as that folder (whoever can
write there can write the repository's git configuration too), but a pickle read from there still finds nothing
beyond dates, decimals and the classes its reader names (``Restricted.allows``): any other name makes the whole
file unreadable, and the caller works out what it held instead.
"""

from __future__ import annotations

import pickle
import sys
from datetime import date
from decimal import Decimal
from typing import ClassVar

_DATA: dict[tuple[str, str], type] = {("datetime", "date"): date, ("decimal", "Decimal"): Decimal}


class Restricted(pickle.Unpickler):
    """Finds dates, decimals and the classes ``allows`` accepts, each a class of the very module that names it."""

    found: ClassVar[dict[tuple[str, str], type]] = {}
    """The classes found so far, by module and name: each subclass has its own (``__init_subclass__``)."""
    what: ClassVar[str] = "what this reader reads"
    """What a class found must be part of, for the refusal's message."""

    def __init_subclass__(cls, **options) -> None:
        super().__init_subclass__(**options)
        cls.found = {}

    def allows(self, module: str, name: str, value: type) -> bool:
        raise NotImplementedError

    def find_class(self, module: str, name: str) -> type:
        key = (module, name)
        known = _DATA.get(key) or self.found.get(key)
        if known is not None:
            return known
        loaded = sys.modules.get(module) if name.isidentifier() else None
        value = getattr(loaded, name, None) if loaded is not None else None
        if isinstance(value, type) and value.__module__ == module and self.allows(module, name, value):
            self.found[key] = value
            return value
        raise pickle.UnpicklingError(f"{module}.{name} is not part of {self.what}")


def in_schemas(module: str) -> bool:
    """Whether ``module`` is the record models' package or one of its modules."""
    return module == "schemas" or module.startswith("schemas.")
