"""bin/mutate's groups: the folder a group's mutmut run works in, and the group's score.

A group (pyproject.toml, `[tool.mutate.groups]`) names what it mutates — a whole file, or
`file::function` and `file::Class.method` — and the tests that run against each mutant. Each
group runs in a folder of its own, var/mutation/<group>/, so two groups can run at once: the
folder links to the project's files and holds a pyproject.toml whose `[tool.mutmut]` is the
project's, narrowed to the group.

    python -m tests.mutation.tool groups
    python -m tests.mutation.tool prepare GROUP FOLDER   # prints the group's mutant names (globs)
    python -m tests.mutation.tool report GROUP SECONDS   # run in FOLDER after `mutmut run`
    python -m tests.mutation.tool cleanup                # drop the mutants' test databases
"""

import fnmatch
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# mutmut names the mutants of a method x«SEP»Class«SEP»method__mutmut_N.
METHOD_SEPARATOR = "ǁ"
KILLED = {"killed", "timeout", "segfault"}


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def group_of(name: str) -> dict:
    groups = project()["tool"]["mutate"]["groups"]
    if name not in groups:
        sys.exit(f"No mutation group {name!r}; the groups are: {', '.join(groups)}.")
    return groups[name]


def _module(path: str) -> str:
    # mutmut names a package's __init__.py mutants after the package.
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def patterns(group: dict) -> list[str]:
    """The names of the group's mutants, as globs of `mutmut run`."""
    result = []
    for spec in group["mutate"]:
        path, _, function = spec.partition("::")
        if not function:
            result.append(f"{_module(path)}.*")
            continue
        owner, _, name = function.rpartition(".")
        mangled = f"x{METHOD_SEPARATOR}{owner}{METHOD_SEPARATOR}{name}" if owner else f"x_{name}"
        result.append(f"{_module(path)}.{mangled}__mutmut_*")
    return result


def _toml(table: str, values: dict) -> str:
    # JSON's strings, lists, numbers and booleans are TOML's too.
    lines = [f"[{table}]"] + [
        f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()
    ]
    return "\n".join(lines) + "\n"


def prepare(name: str, folder: Path) -> None:
    """Link the project's tracked files into `folder` and write the group's pyproject.toml there."""
    group = group_of(name)
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    top = sorted({line.split("/", 1)[0] for line in tracked.stdout.splitlines()} - {"pyproject.toml"})
    folder.mkdir(parents=True, exist_ok=True)
    for entry in top:
        (folder / entry).symlink_to(ROOT / entry)
    packages = [entry for entry in top if (ROOT / entry / "__init__.py").exists() and entry != "tests"]
    settings = project()["tool"]
    mutmut = {
        **settings["mutmut"],
        "source_paths": packages,
        "also_copy": [entry for entry in top if entry not in packages and entry != "tests"],
        "only_mutate": sorted({spec.partition("::")[0] for spec in group["mutate"]}),
        "pytest_add_cli_args_test_selection": group["tests"],
    }
    (folder / "pyproject.toml").write_text(
        _toml("tool.pytest.ini_options", settings["pytest"]["ini_options"])
        + "\n"
        + _toml("tool.mutmut", mutmut)
    )
    print("\n".join(patterns(group)))


def report(name: str, seconds: int) -> bool:
    """Print the group's score and its survivors; return whether it reaches the minimum."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code

    group = group_of(name)
    globs = patterns(group)
    statuses = {}
    for path in sorted({spec.partition("::")[0] for spec in group["mutate"]}):
        meta = json.loads((Path("mutants") / f"{path}.meta").read_text())
        for key, exit_code in meta["exit_code_by_key"].items():
            if any(fnmatch.fnmatch(key, glob) for glob in globs):
                statuses[key] = (path, status_by_exit_code[exit_code])
    counts = Counter(status for _, status in statuses.values())
    killed = sum(counts[status] for status in KILLED)
    score = 100 * killed / len(statuses) if statuses else 0
    minimum = project()["tool"]["mutate"]["minimum_score"]
    for key, (path, status) in sorted(statuses.items()):
        if status not in KILLED:
            changed = [
                line for line in get_diff_for_mutant(key, path=path).splitlines()[2:] if line[:1] in "+-"
            ]
            print(f"  {status}: {key}")
            for line in changed:
                print(f"      {line.strip()}")
    details = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    print(f"{name}: {score:.1f} % of {len(statuses)} mutants killed ({details}) in {seconds} s")
    if score < minimum:
        print(f"{name}: below the minimum of {minimum} % (pyproject.toml, [tool.mutate])", file=sys.stderr)
        return False
    return True


def mutant_databases(name: str, existing) -> list[str]:
    """The test databases of `existing` that runs of the mutants made for database `name`:
    test_<name>_mutant<slot> (tests/mutation/plugin.py), and the nested names of runs before
    the plugin took its name once (test_test_<name>_mutant0_mutant0)."""
    made = re.compile(rf"(test_)+{re.escape(name)}(_run[0-9]+|_mutant[0-9]+)*_mutant[0-9]+")
    return sorted(database for database in existing if made.fullmatch(database))


def cleanup() -> None:
    """Drop the mutants' test databases on DATABASE_URL's server; one a run still uses is left."""
    import environ
    import psycopg
    from psycopg import sql

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return
    database = environ.Env.db_url_config(url)
    server = {key.lower(): database[key] for key in ("HOST", "PORT", "USER", "PASSWORD") if database.get(key)}
    try:
        with psycopg.connect(**server, dbname="postgres", autocommit=True, connect_timeout=5) as connection:
            existing = [row[0] for row in connection.execute("SELECT datname FROM pg_database")]
            for name in mutant_databases(database["NAME"], existing):
                try:
                    connection.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
                except psycopg.errors.ObjectInUse:
                    print(f"Left {name}: another run uses it.", file=sys.stderr)
    except psycopg.OperationalError as problem:
        print(f"Could not drop the mutants' test databases: {problem}", file=sys.stderr)


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "groups":
        print("\n".join(project()["tool"]["mutate"]["groups"]))
    elif command == "prepare":
        prepare(args[0], Path(args[1]))
    elif command == "report":
        return 0 if report(args[0], int(args[1])) else 1
    elif command == "cleanup":
        cleanup()
    else:
        sys.exit(f"Unknown command {command!r}: groups, prepare, report or cleanup.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
