"""recovery.domain stays pure: importing it loads neither Flask nor SQLAlchemy."""

import subprocess
import sys


def test_importing_the_domain_loads_no_flask_or_sqlalchemy():
    code = (
        "import sys, pkgutil, importlib, recovery.domain as d\n"
        "for m in pkgutil.walk_packages(d.__path__, 'recovery.domain.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'flask_sqlalchemy', 'werkzeug'})\n"
        "print(','.join(bad))\n"
    )
    # A fresh interpreter, since this test process has Flask loaded already.
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
