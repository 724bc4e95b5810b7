"""A foreign control service: the kind of sync-token service a user of the harness brings.

It is the system under test, so it imports nothing from the harness and nothing from the
reference stub, and runs on the standard library alone. It differs from the reference stub
on purpose, in the ways a real service differs: its own e-mail login flow (challenge and
verify) instead of an admin API, only the `/api` route family, the OpenAPI document at
`/api/openapi.json`, and an alias policy fixed at start-up (`--alias-retired`).

| module     | what                                                                 |
|------------|----------------------------------------------------------------------|
| `signing`  | HS256 JSON Web Tokens                                                |
| `accounts` | users, personal orgs, login challenges, sessions and PATs, switches  |
| `grants`   | which scopes, topics and streams a token may carry                   |
| `minting`  | the token request's checks, in order, and the token response         |
| `service`  | the HTTP routes and the server                                       |

One defect is planted on purpose (see examples/foreign/README.md): the alias route's
handler in `service` mints with the default TTL whatever `ttl_seconds` asked for.
"""
