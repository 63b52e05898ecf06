"""One module per ``composer`` subcommand, each with ``add_arguments(parser)`` and ``run(args)``."""
