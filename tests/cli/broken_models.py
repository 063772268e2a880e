"""A module whose own import fails: it needs a package that is not installed."""

import dynamap_cli_test_dependency_not_installed  # noqa: F401
