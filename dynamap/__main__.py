"""`python -m dynamap`: the `dynamap` command."""

from dynamap.cli import main

if __name__ == "__main__":
    main()
