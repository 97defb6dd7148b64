"""The installable package: the wheel holds every file the code reads, and works without a checkout.

The wheel is built once per module with the project's own setuptools (`pip wheel --no-deps
--no-build-isolation --no-index`: no network) from a copy of the checkout's files as git sees them,
so the build writes no build/ folder into the checkout and a new file counts as soon as it exists.
The full `vroeg demo` in a fresh virtual environment takes minutes (installing the dependencies,
Prefect's server): it is a manual check; the last test here is its quick part.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

from tests import REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: The top-level packages the wheel installs (pyproject's packages.find, one per layer).
PACKAGES = sorted(
    p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"])
#: Packages that stay in the checkout on purpose (pyproject.toml says why).
CHECKOUT_ONLY = {"bench", "tests"}

#: The files the code reads from its own package folders, by kind (fnmatch: `*` crosses folders).
DATA_FILES = {
    "SQL statement": "sql/*.sql",
    "portal template": "portal/templates/*",
    "portal static file": "portal/static/*",
    "shipped sample configuration": "vroeg/config/shipped/*",
    "DDAS schema and interface": "vroeg/ddas/*",
    "Alembic migration or template": "vroeg/opsdb/migrations/*",
    "CLI's Dutch catalogue (source and compiled)": "cli/locale/*",
}


def checkout_files() -> list[str]:
    """The checkout's files, relative and with `/`: tracked plus new ones git does not ignore."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=REPO_ROOT, capture_output=True, check=True, timeout=60,
        ).stdout.decode().split("\0")
    except (OSError, subprocess.CalledProcessError):
        # Not a git checkout (an unpacked archive): every file but caches and local state.
        skip = {".git", ".venv", "var", "build", "__pycache__", ".pytest_cache", ".hypothesis"}
        listed = [p.relative_to(REPO_ROOT).as_posix() for p in REPO_ROOT.rglob("*")
                  if p.is_file() and not skip & set(p.relative_to(REPO_ROOT).parts)]
    # A tracked file deleted in the work tree is not part of what would be built.
    return sorted(p for p in listed if p and (REPO_ROOT / p).is_file())


def package_files(files: list[str]) -> list[str]:
    """The files inside the installed packages: all of them belong in the wheel."""
    return [f for f in files if f.split("/", 1)[0] in PACKAGES and "/" in f
            and not f.endswith(".pyc")]


@pytest.fixture(scope="module")
def files() -> list[str]:
    return checkout_files()


@pytest.fixture(scope="module")
def wheel(files, tmp_path_factory) -> Path:
    """The wheel, built from a copy of pyproject.toml, README.md and the packages' files."""
    source = tmp_path_factory.mktemp("source")
    for name in ["pyproject.toml", "README.md", *package_files(files)]:
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, target)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "--wheel-dir", str(out), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    (built,) = out.glob("vroegsignalering-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_every_package_of_the_checkout_is_installed():
    """A new top-level package (a layer) must be in pyproject's packages.find, or stay out on
    purpose."""
    top = {p.name for p in REPO_ROOT.iterdir() if (p / "__init__.py").is_file()}
    assert top - CHECKOUT_ONLY == set(PACKAGES)


def test_the_wheel_holds_every_file_of_the_packages(files, wheel_names):
    """Every .py, .sql, template, static file, sample configuration file, the DDAS schema and
    the migrations of the checkout are in the wheel: a new SQL file cannot be forgotten."""
    expected = package_files(files)
    missing = sorted(set(expected) - wheel_names)
    assert not missing, f"not in the wheel (pyproject's [tool.setuptools.package-data]): {missing}"


@pytest.mark.parametrize("kind", DATA_FILES)
def test_the_wheel_holds_each_kind_of_data_file(kind, files, wheel_names):
    in_checkout = {f for f in files if fnmatch(f, DATA_FILES[kind])}
    assert in_checkout, f"no {kind} found in the checkout: is the pattern still right?"
    assert in_checkout <= wheel_names, sorted(in_checkout - wheel_names)


def test_the_wheel_installs_the_vroeg_command(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        entry_points = archive.read(name).decode()
    assert "vroeg = cli:main" in entry_points


# What the installed package reads from its own folders, printed as JSON by a fresh interpreter
# in an empty folder: where each package was imported from, and what it found.
PROBE = """
import importlib.util, json, sys, tempfile
from pathlib import Path

packages = sys.argv[1].split(",")
origins = {name: importlib.util.find_spec(name).origin for name in packages}

from sql import SQL_DIR, schema_statements, sql
from vroeg import ddas
from vroeg.config import load_municipality
from vroeg.opsdb.db import MIGRATIONS, engine
from vroeg.settings import SHIPPED_CONFIG, Home
from portal.app import STATIC
from portal.web import TEMPLATES

statements = [p.relative_to(SQL_DIR).with_suffix("").as_posix() for p in SQL_DIR.rglob("*.sql")]
municipality = load_municipality(Home.from_env(), "0080")
with tempfile.TemporaryDirectory() as folder:
    with engine(f"sqlite:///{folder}/vroeg.sqlite").connect() as connection:
        from sqlalchemy import text
        head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
print(json.dumps({
    "origins": origins,
    "statements": len([sql(name) for name in statements]),
    "schema_statements": len(schema_statements()),
    "config_dir": str(Home.from_env().config_dir("0080")),
    "shipped_files": len([p for p in SHIPPED_CONFIG.rglob("*") if p.is_file()]),
    "partners": sorted(municipality.partners),
    "ddas_partner_types": list(ddas.signaalpartners()),
    "migration_head": head,
    "migration_template": (MIGRATIONS / "script.py.mako").is_file(),
    "templates": len(TEMPLATES.env.list_templates()),
    "static": len([p for p in STATIC.rglob("*") if p.is_file()]),
}))
"""


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed and the project's dependencies.

    The dependencies are those of the running environment, added as a plain path: a path line
    in a .pth file does not run that folder's own .pth files, so the editable install's finder,
    which maps the packages to the checkout, stays out.
    """
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    # Installed before the dependencies are visible, so pip sees no editable install to replace.
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "project-dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    return venv


def run_installed(venv: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VROEG_"))}
    env["VROEG_HOME"] = str(cwd / "var")
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_the_installed_package_needs_no_checkout(installed, files, tmp_path):
    """From an empty folder, the installed package imports from the new environment and finds
    its SQL, the sample configuration, the DDAS schema, the migrations and the portal's files."""
    result = run_installed(installed, [str(installed / "bin" / "python"), "-c", PROBE,
                                       ",".join(PACKAGES)], tmp_path)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])

    site = str(installed.resolve())
    assert {n: o for n, o in found["origins"].items() if not o.startswith(site)} == {}
    assert REPO_ROOT.as_posix() not in json.dumps(found)

    def count(kind: str) -> int:
        return len([f for f in files if fnmatch(f, DATA_FILES[kind])])

    assert found["statements"] == count("SQL statement")
    assert found["schema_statements"] == len([f for f in files if fnmatch(f, "sql/schema/*.sql")])
    assert found["shipped_files"] == count("shipped sample configuration")
    assert found["config_dir"].startswith(site)
    assert found["partners"] == sorted(
        Path(f).stem for f in files if fnmatch(f, "vroeg/config/shipped/0080/partners/*.yaml"))
    assert "Energie" in found["ddas_partner_types"]
    assert found["migration_head"] and found["migration_template"]
    assert found["templates"] == count("portal template")
    assert found["static"] == count("portal static file")


def test_the_installed_vroeg_command_runs_without_a_checkout(installed, files, tmp_path):
    """`vroeg --help` (in Dutch), a usage error (in Dutch), and a command that reads the
    shipped sample configuration, run from an empty folder with an empty VROEG_HOME."""
    vroeg = str(installed / "bin" / "vroeg")
    help_text = run_installed(installed, [vroeg, "--help"], tmp_path)
    assert help_text.returncode == 0, help_text.stderr
    assert "demo" in help_text.stdout
    assert "Opdrachten" in help_text.stdout and "Toon deze hulp en stop." in help_text.stdout
    # The compiled Dutch catalogue of Typer's messages is installed and found.
    usage_error = run_installed(installed, [vroeg, "run", "--bestaat-niet"], tmp_path)
    assert usage_error.returncode == 2
    assert "Onbekende optie: --bestaat-niet" in usage_error.stderr, usage_error.stderr
    listed = run_installed(installed, [vroeg, "partners", "list", "--json"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    answer = json.loads(listed.stdout)
    assert answer["gemeente"] == "0080"
    assert sorted(p["partner"] for p in answer["partners"]) == sorted(
        Path(f).stem for f in files if fnmatch(f, "vroeg/config/shipped/0080/partners/*.yaml"))
