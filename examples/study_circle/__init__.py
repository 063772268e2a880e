"""AI Study Circle (seed 004) on dynamap: five tables under a prefix, unique users, and a
mongoexport migration. Run it with `python -m examples.study_circle`."""
