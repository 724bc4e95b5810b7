"""Drivers for a real SpacetimeDB server (1.2 standalone; the v1 protocol also runs on 2.x).

* ``errors``: the typed outcomes (failed, rejected, unavailable / outcome unknown).
* ``sats``: SATS-JSON values: decoding rows by their AlgebraicType, encoding arguments.
* ``schema``: a module's table row types, from ``/schema?version=9``.
* ``http``: identity, publish, reducer calls, SQL, logs over ``/v1``.
* ``messages``: frames of the ``v1.json.spacetimedb`` WebSocket protocol.
* ``ws``: a synchronous subscriber built on those frames.
"""
