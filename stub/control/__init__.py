"""Reference control service: mints sync tokens on the canonical and alias routes.

CONTRACT.md §7 (T1-T6) is what it implements; the harness drives it as the `reference`
control target and verifies its tokens independently. Run it with `python -m stub.control`.

Modules, one job each: `state` (what the service knows), `topics` (which scope a topic or
stream needs), `tokens` (the minting rules, pure), `hs256` (JWT signing), `compat` (client build
headers), `errors` (the error body), `http` (the route table), `openapi` (the document),
`admin` (the harness's seeding API), `server` (sockets), `config` (flags and environment).
"""
