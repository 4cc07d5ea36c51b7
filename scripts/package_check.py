"""Check built distributions like a consumer would meet them (``tox -e package``).

Given the directory ``python -m build`` wrote, this script

1. finds exactly one sdist and one wheel, both named with the version in pyproject.toml;
2. runs ``twine check --strict`` on them (metadata and README render);
3. checks the wheel holds every package, module and data file the kit needs at run time
   (``py.typed`` x3, ``scenarios/schema.json``, the scenario YAMLs, ``client/persistence``)
   and no tests, and that the sdist holds the same data files;
4. creates a fresh virtualenv, installs the wheel into it (dependencies from the index), copies
   ``consumer_smoke.py`` into an empty temporary directory and runs it there with that
   environment's Python, so nothing from the source tree is importable.

Usage: ``python scripts/package_check.py DIST_DIR [--keep]``; exit 0 when every check passed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "scripts" / "consumer_smoke.py"
REQUIRED = (
    "client/__init__.py",
    "client/py.typed",
    "client/record.py",
    "client/embedded.py",
    "client/persistence/__init__.py",
    "client/protocol/__init__.py",
    "mock_exchange/__init__.py",
    "mock_exchange/py.typed",
    "mock_exchange/engine/__init__.py",
    "mock_exchange/transports/__init__.py",
    "scenarios/__init__.py",
    "scenarios/py.typed",
    "scenarios/schema.json",
)
SCENARIO_DIRS = ("scenarios/spot/", "scenarios/usdm/", "scenarios/coinm/")


def say(text: str) -> None:
    print(f"package check: {text}", flush=True)


def fail(text: str) -> None:
    raise SystemExit(f"package check FAILED: {text}")


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def find_dists(dist: Path, version: str) -> tuple[Path, Path]:
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        fail(f"expected one wheel and one sdist in {dist}, found {wheels + sdists}")
    wheel, sdist = wheels[0], sdists[0]
    for path in (wheel, sdist):
        if f"-{version}" not in path.name:
            fail(f"{path.name} is not named with version {version}")
    say(f"built {sdist.name} and {wheel.name}")
    return sdist, wheel


def check_contents(sdist: Path, wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        fail(f"the wheel lacks {missing}")
    yamls = {
        d: sum(1 for n in names if n.startswith(d) and n.endswith(".yaml")) for d in SCENARIO_DIRS
    }
    if not all(yamls.values()):
        fail(f"the wheel lacks scenario YAMLs: {yamls}")
    stray = sorted({n.split("/")[0] for n in names} - {"client", "mock_exchange", "scenarios"})
    stray = [s for s in stray if not s.endswith(".dist-info")]
    if stray:
        fail(f"the wheel carries more than the three packages: {stray}")
    with tarfile.open(sdist) as tf:
        snames = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    smissing = [
        n for n in (*REQUIRED, "README.md", "CHANGELOG.md", "pyproject.toml") if n not in snames
    ]
    if smissing:
        fail(f"the sdist lacks {smissing}")
    say(f"wheel holds {len(names)} files: py.typed x3, schema.json, scenario YAMLs {yamls}")


def twine_check(sdist: Path, wheel: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)], check=True
    )


def smoke(wheel: Path, keep: bool) -> None:
    base = Path(tempfile.mkdtemp(prefix="kit-consumer-"))
    try:
        env_dir, work = base / "venv", base / "work"
        work.mkdir()
        say(f"fresh virtualenv in {env_dir}")
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        clean.pop("BINANCE_PRO_ENV", None)
        subprocess.run(
            [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
            check=True,
            env=clean,
        )
        say(f"installed {wheel.name}")
        shutil.copy(SMOKE, work / SMOKE.name)
        subprocess.run(
            [str(py), SMOKE.name, "--source-tree", str(ROOT)],
            check=True,
            cwd=work,
            env=clean,
            timeout=600,
        )
    finally:
        if keep:
            say(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="check built distributions as a consumer")
    parser.add_argument("dist", type=Path, help="the directory python -m build wrote")
    parser.add_argument("--keep", action="store_true", help="keep the virtualenv for a look")
    args = parser.parse_args()
    sdist, wheel = find_dists(args.dist, project_version())
    twine_check(sdist, wheel)
    check_contents(sdist, wheel)
    smoke(wheel, args.keep)
    say("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
