"""What the rules run: mixedmotive's CLI from this checkout, whether or not the package is installed
(e.g. inside a --use-conda environment built from environment.yml)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from mixedmotive.cli import main  # noqa: E402

main(sys.argv[1:])
