"""The README and docs/ keep up with the settings, the requirements and the repository's files."""

import json
import re
import shlex
import subprocess
from io import StringIO
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command

from accounts.services import token_issue

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", *sorted(f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")))

# A backticked repository path: relative, no spaces, made of path characters, with a slash or a
# file extension; an anchor (`tests/x.py::test_y`) names the file before it.
PATH = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*/?")
FILE_EXTENSIONS = (".py", ".md", ".txt", ".toml", ".json", ".html", ".cfg", ".ini", ".yml", ".yaml")
# Made when the app runs (var/) or by collectstatic (STATIC_ROOT), or not a path at all.
# Made by the commands on each machine: var/ by bin/run, node_modules/ by bin/test, test-artifacts/ by the browser tests.
NOT_IN_THE_REPOSITORY = ("var/", "staticfiles", "./staticfiles", "node_modules", "test-artifacts")
MEDIA_TYPES = ("application/", "text/", "multipart/", "image/")
# A module, or a name in one (`orders.tasks.sweep_intake`); not a check's id (`connectors.W001`).
DOTTED = re.compile(r"[a-z_][a-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
CHECK_ID = re.compile(r"\.[A-Z]+\d{3}$")


def variables_read_by_settings() -> set[str]:
    source = "".join(path.read_text() for path in sorted((ROOT / "config").glob("settings*.py")))
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def test_every_variable_the_settings_read_is_in_the_configuration_page_and_env_example():
    configuration = (ROOT / "docs" / "configuration.md").read_text()
    example = (ROOT / ".env.example").read_text()
    variables = variables_read_by_settings()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"} <= variables
    assert sorted(name for name in variables if f"| `{name}` |" not in configuration) == []
    assert sorted(name for name in variables if not re.search(rf"^# {name}=", example, re.MULTILINE)) == []


def test_readme_opens_with_the_two_commands_and_links_the_docs():
    readme = (ROOT / "README.md").read_text()
    opening = readme.split("```")[1]
    assert [line.split()[0] for line in opening.splitlines()[1:] if line.strip()] == ["bin/run", "bin/test"]
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", readme))
    assert sorted(page for page in DOCUMENTS if page.startswith("docs/") and page not in linked) == []


def test_every_requirement_is_explained_in_the_dependencies_page():
    dependencies = (ROOT / "docs" / "dependencies.md").read_text()
    for requirements in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / requirements).read_text().splitlines():
            if line and not line.startswith(("#", "-r")):
                package = re.split(r"[=<>~]", line)[0]
                assert f"`{package}`" in dependencies, (
                    f"{package} ({requirements}) is not explained in docs/dependencies.md"
                )


def repository_paths(text: str) -> set[str]:
    """The backticked strings of `text` that name a file or folder of the repository."""
    paths = set()
    for quoted in re.findall(r"`([^`\n]+)`", text):
        path = quoted.split("::")[0]
        if not PATH.fullmatch(path) or path.startswith(NOT_IN_THE_REPOSITORY + MEDIA_TYPES):
            continue
        if "/" in path or path.endswith(FILE_EXTENSIONS):
            paths.add(path)
    return paths


def test_repository_paths_finds_files_folders_and_anchors_but_not_urls_or_media_types():
    text = (
        "`config/settings.py`, `tests/faults/`, `bin/run`, `tests/x.py::test_y`, `settings.py`, "
        "`/api/docs`, `application/json`, `var/exports`, `https://example.com/a`, `{endpoint}/x`, "
        "`python manage.py migrate`, `64:ff9b::/96`, `DEBUG`"
    )
    assert repository_paths(text) == {
        "config/settings.py",
        "tests/faults/",
        "bin/run",
        "tests/x.py",
        "settings.py",
    }


def git(*arguments: str) -> list[str]:
    """Run git in the repository; return the lines it prints."""
    return subprocess.run(
        ["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()


def test_every_path_the_readme_and_docs_name_exists():
    """A path with a slash exists from the repository's root; a bare file name somewhere in it.

    What git ignores (`.venv`, `staticfiles`, caches) is on this machine only, not in a fresh clone.
    """
    names = {Path(name).name for name in git("ls-files")}
    ignored = [
        entry.rstrip("/")
        for entry in git("ls-files", "--others", "--ignored", "--exclude-standard", "--directory")
    ]

    def found(path: str) -> bool:
        if any(path.rstrip("/") == entry or path.startswith(f"{entry}/") for entry in ignored):
            return False
        return (ROOT / path).exists() if "/" in path else path in names or (ROOT / path).exists()

    missing = [
        f"{document}: {path}"
        for document in DOCUMENTS
        for path in sorted(repository_paths((ROOT / document).read_text()))
        if not found(path)
    ]
    assert missing == []


def readme_blocks() -> list[tuple[str, str]]:
    """The README's fenced code blocks, as (language, text)."""
    return re.findall(r"```(\w*)\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)


def shown(text: str):
    """A JSON answer as the README shows it, `[...]` standing for what it leaves out."""
    return json.loads(text.replace("[...]", "null"))


def test_the_readme_example_places_an_order_that_is_held_and_read_through_the_seller_api(
    db, tmp_path, client, eager_tasks, django_capture_on_commit_callbacks
):
    credentials = tmp_path / "demo-credentials.txt"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo", "--credentials-file", str(credentials), stdout=StringIO())
    blocks = readme_blocks()
    languages = [language for language, _ in blocks]
    post = next(index for index, (_, text) in enumerate(blocks) if "curl -s -X POST" in text)
    get = next(index for index, (_, text) in enumerate(blocks) if "Authorization: Token" in text)
    assert languages[post + 1] == languages[get + 1] == "json"

    # The shell lines that take the credentials from the file bin/run wrote.
    assignments = [line for line in blocks[post][1].splitlines() if re.match(r"[A-Z_]+=\$\(awk ", line)]
    script = "\n".join(assignments).replace("var/demo-credentials.txt", shlex.quote(str(credentials)))
    printed = subprocess.run(
        ["bash", "-c", f"{script}\necho $APP_KEY $APP_TOKEN $TOKEN"],
        capture_output=True,
        text=True,
        check=True,
    )
    variables = dict(zip(("APP_KEY", "APP_TOKEN", "TOKEN"), printed.stdout.split(), strict=True))

    def request(block: str):
        url = re.search(r"'http://127\.0\.0\.1:8000(/[^']*)'", block)[1]
        headers = {
            name: re.sub(r"\$([A-Z_]+)", lambda match: variables[match[1]], value)
            for name, value in re.findall(r"-H [\"']([\w-]+): ([^\"']+)[\"']", block)
        }
        if "-X POST" not in block:
            return client.get(url, headers=headers)
        body = block.split("<<'JSON'\n", 1)[1].split("\nJSON", 1)[0]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data=body, content_type=headers.pop("Content-Type"), headers=headers)

    placed = request(blocks[post][1])
    assert (placed.status_code, placed.json()) == (200, shown(blocks[post + 1][1]))

    held = request(blocks[get][1])
    assert held.status_code == 200
    expected = {key: value for key, value in shown(blocks[get + 1][1]).items() if value is not None}
    assert {key: held.json()[key] for key in expected} == expected

    # The approval the README names, with the token `create_user --token` gives the approver.
    main_order_id = expected["mainOrderId"]
    approver_token = token_issue(user=get_user_model().objects.get(username="ana@demo.example"))
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(
            f"/api/orders/{main_order_id}/approve?an=demo-seller",
            data={},
            content_type="application/json",
            headers={"Authorization": f"Token {approver_token}"},
        )
    assert (approved.status_code, approved.json()["status"]) == (200, "payment-pending")


def module_references(text: str) -> set[str]:
    """The backticked dotted names of `text` that start with a package of the repository."""
    packages = {path.name for path in ROOT.iterdir() if (path / "__init__.py").exists()}
    return {
        quoted
        for quoted in re.findall(r"`([^`\n]+)`", text)
        if DOTTED.fullmatch(quoted)
        and quoted.split(".")[0] in packages
        and not quoted.endswith(FILE_EXTENSIONS)
        and not CHECK_ID.search(quoted)
    }


def defined(module: Path, names: list[str]) -> bool:
    """Tell whether each name is defined in the module's source: a function, class, assignment or import.

    The source is read, not imported, so a page may name what imports only once Django is set up.
    """
    source = module.read_text()
    return all(
        re.search(
            rf"\b(?:def|class)\s+{name}\b|^\s*{name}\s*(?::[^=\n]*)?=|^(?:from|import)\b.*\b{name}\b|^\s+{name},",
            source,
            re.MULTILINE,
        )
        for name in names
    )


def resolves(reference: str) -> bool:
    """Whether the longest module path of `reference` is a file of the repository defining the rest."""
    parts = reference.split(".")
    for length in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:length])
        for module in (base.with_suffix(".py"), base / "__init__.py"):
            if module.is_file():
                return defined(module, parts[length:])
    return False


def test_module_references_are_dotted_names_of_repository_packages_only():
    text = "`orders.tasks.sweep_intake`, `connectors.W001`, `Account.time_zone`, `requests.Session`, `settings.py`"
    assert module_references(text) == {"orders.tasks.sweep_intake"}
    assert resolves("orders.tasks.sweep_intake") and resolves("orders.statuses")
    assert not resolves("orders.tasks.sweep_everything") and not resolves("orders.nowhere")


def test_every_module_the_readme_and_docs_name_exists():
    missing = [
        f"{document}: {reference}"
        for document in DOCUMENTS
        for reference in sorted(module_references((ROOT / document).read_text()))
        if not resolves(reference)
    ]
    assert missing == []
