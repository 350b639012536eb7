"""``-p shared_tests.second_core_app.plugin``: register the throwaway variant for one pytest run.

Loading it is all it takes for the contract suite to run every app test on ``second-core``
as well, which is what ``test_variant_registry`` shows.
"""

from shared_tests.second_core_app import VARIANT
from todo_contract.variants import register, variants

if VARIANT not in variants():
    register(VARIANT)
