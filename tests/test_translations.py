"""Every string shown to people exists in Brazilian Portuguese and Spanish, compiled and current.

The catalogs are each app's `locale/` and the project's `locale/` (for `templates/`), made by
`bin/messages`. A string marked for translation but missing from its catalog, an entry left
untranslated or fuzzy, a placeholder lost in translation, or a `.mo` that is not its `.po`
compiled, fails here.
"""

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("pt_BR", "es")
# Catalogs whose translation is still under way, by their app (`.` for the project's own).
# Each is checked to be still incomplete, so that one finished is taken off this list.
PENDING: set[str] = set()
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{(\w*)\}")


def catalogs(root: Path = ROOT) -> dict[str, Path]:
    """Each .po file under a locale/ directory, by its path relative to `root`."""
    found = {}
    for path in sorted(root.glob("**/locale/*/LC_MESSAGES/*.po")):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "var", "node_modules", "staticfiles"}:
            continue
        found[str(relative)] = path
    return found


def app_of(relative: str) -> str:
    parts = Path(relative).parts
    return "." if parts[0] == "locale" else parts[0]


def problems(po: polib.POFile) -> list[str]:
    """What keeps a catalog from being complete: untranslated or fuzzy entries, lost placeholders."""
    found = []
    for entry in po:
        if entry.obsolete:
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {entry.msgid!r}")
        elif not all(translations):
            found.append(f"untranslated: {entry.msgid!r}")
        else:
            wanted = sorted(PLACEHOLDER.findall(entry.msgid))
            for translation in translations:
                if sorted(PLACEHOLDER.findall(translation)) != wanted:
                    found.append(f"placeholders differ: {entry.msgid!r} → {translation!r}")
    return found


def test_there_is_a_catalog_for_each_language_of_each_app_with_strings():
    apps = {app_of(relative) for relative in catalogs()}
    assert {".", "accounts", "authorization", "orders"} <= apps
    for app in apps:
        base = ROOT if app == "." else ROOT / app
        for language in LANGUAGES:
            assert (base / "locale" / language / "LC_MESSAGES" / "django.po").exists(), (app, language)


@pytest.mark.parametrize("relative", sorted(catalogs()))
def test_every_entry_is_translated(relative):
    po = polib.pofile(str(catalogs()[relative]))
    assert not po.metadata_is_fuzzy, f"{relative}: its header is marked fuzzy"
    found = problems(po)
    if app_of(relative) in PENDING:
        assert found, f"{relative} is complete: take {app_of(relative)!r} off PENDING"
    else:
        assert not found, f"{relative}:\n" + "\n".join(found[:40])


@pytest.mark.parametrize("relative", sorted(catalogs()))
def test_the_compiled_catalog_is_the_catalog(relative):
    po_path = catalogs()[relative]
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{relative} is not compiled: run bin/messages"
    with mo_path.open("rb") as compiled:
        committed = gettext.GNUTranslations(compiled)._catalog
    expected = {}
    for entry in polib.pofile(str(po_path)):
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        # gettext keys an entry with a context (pgettext) as "context\x04msgid".
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, text in entry.msgstr_plural.items():
                if text:
                    expected[(msgid, int(index))] = text
        elif entry.msgstr:
            expected[msgid] = entry.msgstr
    committed = {key: value for key, value in committed.items() if key != ""}
    assert committed == expected, f"{mo_path.relative_to(ROOT)} is not {relative} compiled: run bin/messages"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (apt-get install gettext)")
def test_every_marked_string_is_in_its_catalog(tmp_path):
    """bin/messages run on a copy of the code finds nothing the committed catalogs lack."""
    copy = tmp_path / "copy"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(".git", ".venv", "var", "node_modules", "staticfiles", "__pycache__"),
        symlinks=True,
    )
    (copy / ".venv").symlink_to(ROOT / ".venv")
    subprocess.run(["bin/messages"], cwd=copy, check=True, capture_output=True, timeout=600)
    missing, added = [], []
    for relative, path in catalogs(copy).items():
        fresh = {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(path))}
        committed_path = ROOT / relative
        committed = (
            {(entry.msgctxt, entry.msgid) for entry in polib.pofile(str(committed_path))}
            if committed_path.exists()
            else set()
        )
        missing += [f"{relative}: {msgid!r}" for _context, msgid in sorted(fresh - committed, key=str)]
        added += [f"{relative}: {msgid!r}" for _context, msgid in sorted(committed - fresh, key=str)]
    assert not missing, (
        "strings marked for translation but not in a catalog (run bin/messages):\n" + "\n".join(missing[:40])
    )
    assert not added, "catalog entries no code uses any more (run bin/messages):\n" + "\n".join(added[:40])
