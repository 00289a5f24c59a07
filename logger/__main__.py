"""`python -m logger` runs the same CLI as `liuhen`."""
from logger.cli import main

main()
