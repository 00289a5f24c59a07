"""`python -m logger` runs the same CLI as `liuhen`."""
from logger.cli.main import main

main()
