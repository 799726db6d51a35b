"""`python -m modelvet ...` runs the bundled executable with the same arguments."""

import os
import subprocess
import sys

from modelvet._find import find_modelvet_bin


def main() -> None:
    binary = find_modelvet_bin()
    if sys.platform == "win32":
        sys.exit(subprocess.run([binary, *sys.argv[1:]]).returncode)
    os.execvp(binary, [binary, *sys.argv[1:]])


if __name__ == "__main__":
    main()
