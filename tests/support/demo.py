"""The demo account as `bin/run` loads it, and the values its credentials file holds."""

import re
from io import StringIO

from django.core.management import call_command


def load_demo(path) -> str:
    """Run `load_demo` with its credentials kept at `path`; return what it printed."""
    out = StringIO()
    call_command("load_demo", "--credentials-file", str(path), stdout=out)
    return out.getvalue()


def password_of(output: str, email: str) -> str:
    return re.search(rf"^ +{re.escape(email)} +password: (\S+)", output, re.MULTILINE)[1]


def value_of(output: str, name: str) -> str:
    """A credential printed as `  name: value` (the connector's, the Owner's token)."""
    return re.search(rf"^ +{re.escape(name)}: (\S+)$", output, re.MULTILINE)[1]
