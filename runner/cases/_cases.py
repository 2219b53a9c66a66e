"""The single pytest function that every (requirement, check, parameters) case runs through.

`homolog run` passes this file to pytest; the plugin parametrizes `homolog_case` with one
value per case, so `-k`, `-n`, `--junitxml` and allure see one item per case.
"""

from typing import Any


def test_check(homolog_case: Any, request: Any) -> None:
    from homolog.plugin import execute_case

    execute_case(homolog_case, request)
