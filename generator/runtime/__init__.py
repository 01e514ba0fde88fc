"""The in-cluster runtime ("poller") that the generated Tasks run.

An island: it never imports the compiler (generator.config/compile/render/cli),
and every subcommand imports its dependencies lazily so that start-up in each
Task pod stays cheap. The contract with the rendered Tasks is
docs/runtime-interface.md.
"""
