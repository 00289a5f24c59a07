"""The `liuhen` command: one module per command group, `main` gathers them and the commands
other packages register under the `liuhen.commands` entry point.

The top of the domain: may import any `logger` package; nothing imports it.
"""
