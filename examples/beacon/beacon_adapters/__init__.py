"""The glue between the harness and beacon-gate: `gate_admin.admin` sets the stage for the
harness's token cases through the gate's login flow and its `/_fixtures/` test API."""
