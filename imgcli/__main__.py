import sys

from imgcli.shell import main

sys.exit(main())
