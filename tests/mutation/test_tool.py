"""bin/mutate's cleanup drops the test databases its runs made, and no other."""

from tests.mutation.tool import mutant_databases


def test_the_cleanup_takes_the_mutants_databases_of_this_database_only():
    existing = [
        "oa_shop",
        "test_oa_shop",  # the suite's own
        "test_oa_shop_run1",
        "test_oa_shop_mutant0",
        "test_oa_shop_mutant12",
        "test_test_oa_shop_mutant0_mutant1",  # nested by runs before the name was taken once
        "test_test_test_oa_shop_run1_mutant0_mutant0_mutant0",
        "test_oa_shop2_mutant0",  # another database's
        "test_oa_sho_mutant0",
        "test_oa_shop_mutant0_copy",
    ]

    assert mutant_databases("oa_shop", existing) == [
        "test_oa_shop_mutant0",
        "test_oa_shop_mutant12",
        "test_test_oa_shop_mutant0_mutant1",
        "test_test_test_oa_shop_run1_mutant0_mutant0_mutant0",
    ]
