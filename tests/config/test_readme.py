"""The README and `.env.example` keep up with the settings and the requirements."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def test_every_variable_the_settings_read_is_in_the_readme_and_env_example():
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    variables = variables_read_by_settings()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= variables
    assert sorted(name for name in variables if f"`{name}`" not in readme) == []
    assert sorted(name for name in variables if not re.search(rf"^# {name}=", example, re.MULTILINE)) == []


def test_readme_opens_with_the_two_commands_and_explains_every_requirement():
    readme = (ROOT / "README.md").read_text()
    opening = readme.split("```")[1]
    assert [line.split()[0] for line in opening.splitlines()[1:] if line.strip()] == ["bin/run", "bin/test"]
    for requirements in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / requirements).read_text().splitlines():
            if line and not line.startswith(("#", "-r")):
                package = re.split(r"[=<>~]", line)[0]
                assert f"`{package}`" in readme, f"{package} ({requirements}) is not explained in README.md"
