"""VishMaker (seed 002) on dynamap: six tables, a requirement tree, Terraform, and a
PostgreSQL CSV migration. Run it with `python -m examples.vishmaker`."""
