"""A throwaway variant for the registry's own tests: ``core_app`` under a second name.

It exists to prove that a new variant is its own package plus one registry entry: the tests
register it (``todo_contract.variants.registered``) and see the contract suite and the
benchmark pick it up without any other file changing. It is never registered outside them.
"""

from todo_contract.variants import Variant

VARIANT = Variant(
    name="second-core",
    family="sql",
    style="sync",
    package="shared_tests.second_core_app",
    serve=("shared_tests.second_core_app",),
    colour="tab:green",
    baseline="core",
    description="core_app's code under another name (a throwaway variant for tests)",
)
