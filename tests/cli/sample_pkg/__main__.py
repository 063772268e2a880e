"""Never imported by the CLI: importing a package's __main__ would run the program."""

raise SystemExit("sample_pkg.__main__ must not be imported")
