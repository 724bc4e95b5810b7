"""beacon-gate: hands out the short-lived tokens our apps use to subscribe to the feed.

Standard library plus PyJWT. Layout:

* `accounts`: users, orgs, memberships, e-mail challenges, sessions, and the switches the
  fixture API flips;
* `mint`: what a token request may ask for, and the token itself;
* `server`: routes, the OpenAPI document, the HTTP server;
* `__main__`: configuration from the environment (`BEACON_GATE_*`).

There are no personal access tokens: every bearer is a session from the e-mail login.
"""
