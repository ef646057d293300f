# Sourced by bin/run and bin/test: make sure .venv exists, runs Python 3.12+, and has
# requirements-dev.txt installed. Sets ROOT, VENV and PYTHON.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON="$VENV/bin/python"

_python_is_recent() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1
}

# Print the first Python 3.12+ found: on PATH, then among pyenv's installed versions.
_find_python() {
    local candidate pyenv_root
    for candidate in python3.13 python3.12 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && _python_is_recent "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        pyenv_root="$(pyenv root)"
    else
        pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    fi
    # Newest first: 3.13.1 before 3.12.8.
    for candidate in $(ls -d "$pyenv_root"/versions/3.1[2-9].*/bin/python 2>/dev/null | sort -r -V); do
        if _python_is_recent "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# pip on some machines warns about every configured index folder that lacks a package.
_quiet_pip() {
    grep -v -E "^WARNING: Location 'file://.*' is ignored" || true
}

_ensure_venv() {
    local python requirements_hash log
    if [ -x "$PYTHON" ] && _python_is_recent "$PYTHON"; then
        :
    else
        if ! python="$(_find_python)"; then
            echo "Python 3.12 or newer is needed and none was found (tried python3.13, python3.12," >&2
            echo "python3 and pyenv's versions). Install Python 3.12+ (e.g. 'apt-get install python3.12'," >&2
            echo "'brew install python@3.12' or 'pyenv install 3.12') and run this again." >&2
            exit 1
        fi
        echo "Creating .venv with $("$python" --version 2>&1) ($python)…"
        rm -rf "$VENV"
        "$python" -m venv "$VENV"
    fi

    requirements_hash="$(cat "$ROOT/requirements.txt" "$ROOT/requirements-dev.txt" |
        "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$requirements_hash" ]; then
        echo "Installing requirements-dev.txt into .venv…"
        log="$(mktemp)"
        if ! "$PYTHON" -m pip install -q --disable-pip-version-check -r "$ROOT/requirements-dev.txt" >"$log" 2>&1; then
            _quiet_pip <"$log" >&2
            rm -f "$log"
            echo "Installing requirements-dev.txt failed (see above)." >&2
            exit 1
        fi
        _quiet_pip <"$log"
        rm -f "$log"
        echo "$requirements_hash" >"$VENV/.requirements.sha256"
    fi
}

_ensure_venv
