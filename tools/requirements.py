"""Print the pinned requirements of pyproject.toml, one per line, for pip.

`python tools/requirements.py` gives the runtime set; `... test` adds the test extras.
Installing from this list avoids building the project itself as a package.
"""

import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]
lines = list(project["dependencies"])
for extra in sys.argv[1:]:
    lines += project["optional-dependencies"][extra]
print("\n".join(lines))
