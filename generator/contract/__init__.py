"""Everything the compiler and the runtime must agree on, written once.

The compiler (``config``, ``compile``) encodes with these modules and the
runtime (``benchgen-poller``) decodes with them, so an env name, a flag's
default, a spec's format or a status exists in exactly one place.
Standard library only, and no other ``generator`` module (an import-linter
contract keeps it so): the runtime image carries neither the compiler nor its
dependencies. docs/runtime-interface.md describes the same facts for people;
tests/test_contract.py checks it against these modules.

- ``env``: every ``BENCHGEN_*`` variable, and ``param_env``;
- ``commands``: command names, flags with defaults, settings, results, exit codes;
- ``orchestrator``: the batch API's statuses and the fields a submit fills;
- ``params``: how a param value is escaped on its way to a step's env;
- ``request``, ``cleanup``, ``releases``, ``observe``: typed encode/decode of
  each spec the compiler writes into env;
- ``durations``: the one duration grammar (Go's);
- ``names``: the Kubernetes name rules;
- ``signing``: how a webhook event is authenticated, and where its values sit;
- ``event_key``: the run key of a CloudEvent;
- ``errors``: ``ContractError``, what decoding raises.
"""
