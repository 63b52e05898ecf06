"""Entry script of the frozen app: the same command line as the installed ``composer``."""

from composer.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
