"""The integration suite runs every test against both engines through the `server`,
`engine` and `db` fixtures of `tests/conftest.py`."""
