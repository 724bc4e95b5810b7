"""The table row types of a published module, from ``GET /v1/database/<db>/schema?version=9``.

WebSocket frames name a table but not its columns, and rows in transaction deltas are bare
arrays; the subscriber needs each table's column names and types to turn them into dicts.
The module's own ``RawModuleDefV9`` is the authoritative source: every table points at a
product type in ``typespace.types``, and that typespace also resolves the ``Ref`` types of
module-defined structs and enums inside rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.spacetime.errors import ProtocolError
from harness.spacetime.sats import JsonValue, RowType


@dataclass(frozen=True)
class ReducerDef:
    """One reducer: its parameters' names and AlgebraicTypes in call order, and its
    lifecycle (`Init`, `OnConnect`, `OnDisconnect`) when it is one, which nobody calls."""

    name: str
    params: tuple[tuple[str, JsonValue], ...]
    lifecycle: str | None = None


@dataclass(frozen=True)
class ModuleSchema:
    """Row types of every table of one module, by table name; each table's primary key
    column (None for a table without one); which tables are public; every reducer; and
    the typespace their `Ref` types point into."""

    tables: Mapping[str, RowType]
    primary_keys: Mapping[str, str | None] = field(default_factory=dict)
    public: frozenset[str] = frozenset()
    reducers: Mapping[str, ReducerDef] = field(default_factory=dict)
    typespace: tuple[JsonValue, ...] = ()

    @classmethod
    def from_json(cls, raw: JsonValue) -> ModuleSchema:
        """Parse a ``RawModuleDefV9`` as served by the schema route."""
        if not isinstance(raw, dict):
            raise ProtocolError(f"module schema is not an object: {raw!r}")
        typespace = raw.get("typespace")
        types = typespace.get("types") if isinstance(typespace, dict) else None
        tables = raw.get("tables")
        if not isinstance(types, list) or not isinstance(tables, list):
            raise ProtocolError("module schema lacks typespace.types or tables")
        row_types: dict[str, RowType] = {}
        keys: dict[str, str | None] = {}
        public: set[str] = set()
        for table in tables:
            if not isinstance(table, dict):
                raise ProtocolError(f"table definition is not an object: {table!r}")
            name, ref = table.get("name"), table.get("product_type_ref")
            if not isinstance(name, str) or not isinstance(ref, int) or not 0 <= ref < len(types):
                raise ProtocolError(f"bad table definition: {table!r}")
            product = types[ref]
            if not isinstance(product, dict) or "Product" not in product:
                raise ProtocolError(f"table {name!r} row type is not a product: {product!r}")
            row_types[name] = RowType.from_product(product["Product"], types)
            key = table.get("primary_key")
            columns = row_types[name].columns
            keys[name] = (columns[key[0]] if isinstance(key, list) and key
                          and isinstance(key[0], int) and key[0] < len(columns) else None)
            access = table.get("table_access")
            if not isinstance(access, dict) or "Private" not in access:
                public.add(name)
        return cls(tables=row_types, primary_keys=keys, public=frozenset(public),
                   reducers=_reducers(raw.get("reducers")), typespace=tuple(types))

    def row_type(self, table: str) -> RowType:
        """The row type of ``table``; a clear error if the module has no such table."""
        try:
            return self.tables[table]
        except KeyError:
            raise ProtocolError(
                f"table {table!r} is not in the module schema (known: {sorted(self.tables)})"
            ) from None


def _reducers(raw: JsonValue) -> dict[str, ReducerDef]:
    found: dict[str, ReducerDef] = {}
    for reducer in raw if isinstance(raw, list) else []:
        if not isinstance(reducer, dict) or not isinstance(reducer.get("name"), str):
            raise ProtocolError(f"bad reducer definition: {reducer!r}")
        params = reducer.get("params")
        elements = params.get("elements") if isinstance(params, dict) else None
        found_params: list[tuple[str, JsonValue]] = []
        for index, element in enumerate(elements if isinstance(elements, list) else []):
            if not isinstance(element, dict):
                raise ProtocolError(f"bad parameter of {reducer['name']}: {element!r}")
            label = element.get("name")
            name = label.get("some") if isinstance(label, dict) else None
            found_params.append((name if isinstance(name, str) else f"arg{index}",
                                 element.get("algebraic_type")))
        lifecycle = reducer.get("lifecycle")
        some = lifecycle.get("some") if isinstance(lifecycle, dict) else None
        kind = next(iter(some)) if isinstance(some, dict) and some else None
        found[str(reducer["name"])] = ReducerDef(str(reducer["name"]), tuple(found_params),
                                                 kind)
    return found
