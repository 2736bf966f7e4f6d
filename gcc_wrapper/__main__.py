import sys

from gcc_wrapper.cli import main

sys.exit(main())
