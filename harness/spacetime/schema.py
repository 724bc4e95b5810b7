"""The table row types of a published module, from ``GET /v1/database/<db>/schema?version=9``.

WebSocket frames name a table but not its columns, and rows in transaction deltas are bare
arrays; the subscriber needs each table's column names and types to turn them into dicts.
The module's own ``RawModuleDefV9`` is the authoritative source: every table points at a
product type in ``typespace.types``, and that typespace also resolves the ``Ref`` types of
module-defined structs and enums inside rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.spacetime.errors import ProtocolError
from harness.spacetime.sats import JsonValue, RowType


@dataclass(frozen=True)
class ModuleSchema:
    """Row types of every table of one module, by table name."""

    tables: Mapping[str, RowType]

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
        return cls(tables=row_types)

    def row_type(self, table: str) -> RowType:
        """The row type of ``table``; a clear error if the module has no such table."""
        try:
            return self.tables[table]
        except KeyError:
            raise ProtocolError(
                f"table {table!r} is not in the module schema (known: {sorted(self.tables)})"
            ) from None
