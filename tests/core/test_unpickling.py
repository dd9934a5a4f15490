"""Cached pickles read back finding only dates, decimals and the classes a reader allows."""

import io
import pickle
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from generator.core.unpickling import Restricted, in_schemas
from schemas import OrderStatus


class _Enums(Restricted):
    what = "a test"

    def allows(self, module: str, name: str, value: type) -> bool:
        return in_schemas(module)


class _Nothing(Restricted):
    what = "nothing"

    def allows(self, module: str, name: str, value: type) -> bool:
        return False


def _read(reader: type[Restricted], value) -> object:
    return reader(io.BytesIO(pickle.dumps(value))).load()


def test_dates_decimals_and_the_allowed_classes_are_found():
    value = [date(2026, 12, 6), Decimal("1.50"), OrderStatus.SETTLED]
    assert _read(_Enums, value) == value
    assert _read(_Nothing, value[:2]) == value[:2]


class _Planted:
    def __reduce__(self):
        return (Path.touch, (Path("never"),))


@pytest.mark.parametrize("value", [OrderStatus.SETTLED, _Planted(), print], ids=["not allowed here", "a call", "a builtin"])
def test_any_other_name_refuses_the_whole_pickle(value, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pickle.UnpicklingError):
        _read(_Nothing, [1, value])
    assert not (tmp_path / "never").exists()


def test_a_class_named_where_it_was_not_defined_is_refused():
    """``schemas.OrderStatus`` is the class of ``schemas.lifecycle``: only that module's name finds it."""
    data = pickle.dumps(OrderStatus.SETTLED).replace(b"schemas.lifecycle", b"schemas")
    with pytest.raises(pickle.UnpicklingError):
        _Enums(io.BytesIO(data)).load()


def test_each_reader_keeps_the_classes_it_found_apart():
    _read(_Enums, OrderStatus.SETTLED)
    assert ("schemas.lifecycle", "OrderStatus") in _Enums.found and _Nothing.found == {}
