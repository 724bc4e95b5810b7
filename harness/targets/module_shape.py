"""A module's mapping checked against the module as it is: its published schema.

Configuration is written before the harness has seen the module, so it can name a table or
column the module does not have, and it leaves unsaid what the module has beyond the
contract. Once the module is published its schema says both: a contract table left to its
default name maps to the module's table of that name only where the module has one (else
the module lacks it, named, its clauses not applicable); a contract column the module does
not have is absent the same way; a table or column the configuration names explicitly and
the module does not have is a mistake in the configuration (exit 2 before the suite, with
the module's own names offered); and every table of the module's own is in the snapshots.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from harness.contract.schema import REFERENCE_TABLES
from harness.spacetime.schema import ModuleSchema
from harness.targets.module_mapping import ModuleMapping, TableMapping


@dataclass(frozen=True)
class Shape:
    """The mapping as the module has it, and what in the configuration does not fit it."""

    mapping: ModuleMapping
    problems: tuple[str, ...]


def _known(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def _table(contract: str, mapped: TableMapping, schema: ModuleSchema,
           declared: bool) -> tuple[TableMapping | None, list[str]]:
    key = f"module.tables.{contract}"
    if mapped.name not in schema.tables:
        if not declared:
            return None, []
        return None, [f"{key}: the module has no table {mapped.name!r} (its tables: "
                      f"{_known(schema.tables)})"]
    columns = set(schema.tables[mapped.name].columns)
    absent, problems = set(mapped.absent), []
    for column in REFERENCE_TABLES[contract].columns:
        theirs = mapped.columns.get(column, column)
        if column in absent or theirs in columns:
            continue
        if column in mapped.columns:
            problems.append(f"{key}.columns.{column}: {mapped.name} has no column {theirs!r} "
                            f"(its columns: {_known(columns)})")
        else:
            absent.add(column)
    if REFERENCE_TABLES[contract].primary_key in absent:
        # without the contract's key no row can be matched with the oracle's
        return (None, problems) if not declared else (None, [*problems, (
            f"{key}: {mapped.name} has no column for the key "
            f"{REFERENCE_TABLES[contract].primary_key} (map it in {key}.columns)")])
    return dataclasses.replace(mapped, absent=frozenset(absent)), problems


def shape(mapping: ModuleMapping, schema: ModuleSchema) -> Shape:
    """`mapping` as the module published with `schema` has it."""
    tables: dict[str, TableMapping] = {}
    problems: list[str] = []
    for contract, mapped in mapping.tables.items():
        found, wrong = _table(contract, mapped, schema, contract in mapping.declared_tables)
        problems += wrong
        if found is not None:
            tables[contract] = found
    for name in sorted(mapping.exclude - set(schema.tables)):
        problems.append(f"module.exclude: the module has no table {name!r} (its tables: "
                        f"{_known(schema.tables)})")
    for name, columns in sorted(mapping.volatile.items()):
        table = tables[name].name if name in tables else name
        if name not in REFERENCE_TABLES and name not in schema.tables:
            problems.append(f"module.volatile.{name}: the module has no table {name!r} (its "
                            f"tables: {_known(schema.tables)})")
        elif table in schema.tables:
            problems += [f"module.volatile.{name}: {table} has no column {column!r}"
                         for column in sorted(columns - set(schema.tables[table].columns))]
    return Shape(dataclasses.replace(mapping, tables=tables), tuple(problems))


def own_tables(mapping: ModuleMapping, schema: ModuleSchema) -> list[str]:
    """The module's tables no contract table maps to, none excluded: in every snapshot
    under their own names, compared by the relative rules."""
    mapped = {table.name for table in mapping.tables.values()}
    return sorted(name for name in schema.tables
                  if name not in mapped and name not in mapping.exclude)
