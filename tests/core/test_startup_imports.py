"""Listing the commands must not import the heavy libraries (issue 15: CLI start-up).

``dyncrm --help`` in the Koperasi XYZ deployment imports ``dyncrm.cli`` and builds the
command tree of every enabled plugin.  PDF, spreadsheet, QR, Markdown, password-hashing,
image and web libraries are imported inside the functions that use them, so none of
them may be loaded by then.  Timings are not asserted; which modules load is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HEAVY = ("fpdf", "numpy", "fontTools", "openpyxl", "segno", "markdown_it", "argon2", "pypdf",
         "PIL", "zxcvbn", "flask", "werkzeug")

# Runs in a fresh interpreter: an import hook notes, for the first import of each heavy
# library, the chain of project files that led to it.
SCRIPT = textwrap.dedent("""
    import json, sys, traceback

    HEAVY, ROOT, TESTS = set(json.loads(sys.argv[1])), sys.argv[2], sys.argv[3]
    chains = {}

    class Watch:
        def find_spec(self, name, path=None, target=None):
            top = name.partition(".")[0]
            if top in HEAVY and top not in chains:
                chains[top] = [f"{f.filename.removeprefix(ROOT + '/')}:{f.lineno}"
                               for f in traceback.extract_stack()[:-1]
                               if f.filename.startswith(ROOT) and "/.venv/" not in f.filename]
            return None

    sys.meta_path.insert(0, Watch())
    sys.path.insert(0, TESTS)
    import dyncrm.cli  # noqa: F401
    from test_docs import _walk, full_command_tree

    paths = [" ".join(path) for path, _ in _walk(full_command_tree())]
    loaded = {name: chains.get(name, []) for name in sorted(HEAVY) if name in sys.modules}
    print(json.dumps({"commands": len(paths), "loaded": loaded}))
""")


def test_listing_commands_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(HEAVY), str(ROOT), str(ROOT / "tests")],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["commands"] > 50  # the whole Koperasi XYZ tree was built
    loaded = found["loaded"]
    report = "\n".join(
        f"{name} imported via:\n    " + "\n    ".join(chain or ["(no project file on the stack)"])
        for name, chain in loaded.items())
    assert not loaded, (
        "building the command line imported heavy libraries; import them inside the "
        f"function that uses them (the last line is the importer):\n{report}")
