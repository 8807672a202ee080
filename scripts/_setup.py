"""What both README commands do first: a virtual environment with the pinned requirements."""

from __future__ import annotations

import hashlib
import os
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VENV_DIR", ROOT / ".venv"))
PYTHON = VENV / "bin" / "python"


def say(text: str) -> None:
    print(f"==> {text}", flush=True)


def _requirements_digest(requirements: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("requirements*.txt")):
        digest.update(path.read_bytes())
    digest.update(requirements.name.encode())
    return digest.hexdigest()


def ensure_virtualenv(requirements_file: str) -> None:
    """Create .venv and install the requirements when they changed since the last install."""
    requirements = ROOT / requirements_file
    if not PYTHON.exists():
        say(f"Creating the virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    marker = VENV / f".installed-{requirements.stem}"
    digest = _requirements_digest(requirements)
    if marker.exists() and marker.read_text() == digest:
        return
    say(f"Installing {requirements_file}")
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(requirements),
        ],
        check=True,
    )
    marker.write_text(digest)


def run(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)
