import sys

from plcstack.cli import main

sys.exit(main())
