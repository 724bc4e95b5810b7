"""The conformance suite: one pytest module per property, run by `stdb-harness run`.

Each module tests generated scenarios (Hypothesis) and the curated scenarios of its
property (scenarios/*.json, compared with their goldens). `test_replay.py` runs the one
scenario named by --scenario.
"""
