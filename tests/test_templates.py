"""Our admin pages keep the admin's own structure where Django's styles and readers rely on it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".venv", "node_modules", "var", "staticfiles", "tests"}
BREADCRUMBS = re.compile(r"(?s)\{%\s*block breadcrumbs\s*%\}(.*?)\{%\s*endblock")


def templates() -> list[Path]:
    return [
        path
        for path in ROOT.glob("**/templates/**/*.html")
        if not SKIPPED & set(path.relative_to(ROOT).parts)
    ]


def test_every_pages_breadcrumbs_are_the_admins_ordered_list():
    # Django's admin styles (and screen readers announce) breadcrumbs as <ol class="breadcrumbs">
    # of <li>: a <div> of links and arrows shows unstyled, as a run of plain text.
    wrong = []
    for path in templates():
        for crumbs in BREADCRUMBS.findall(path.read_text()):
            if not re.search(r'<ol class="breadcrumbs">|_breadcrumbs\.html|block\.super', crumbs):
                wrong.append(str(path.relative_to(ROOT)))
    assert templates() and wrong == []
