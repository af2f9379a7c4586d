"""Sphinx configuration of dyncrm's API reference (docs/api/).

Build: ``python -m sphinx -W --keep-going -b html docs/api <out>``; tests/test_api_docs.py
runs exactly that, so a broken cross-reference (``nitpicky``) fails the test suite.
No network: intersphinx is off, so types of third-party libraries are listed in
``nitpick_ignore`` below instead of being linked.
"""

from __future__ import annotations

project = "dyncrm"
author = "dyncrm contributors"
extensions = ["sphinx.ext.autodoc"]

# The docstrings use reST field lists (:param x:) — no napoleon needed.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"undoc-members": False, "show-inheritance": False}
add_module_names = False

nitpicky = True
# Third-party and standard-library types that appear in signatures and docstrings. Without
# intersphinx (no network during the build) they cannot resolve; everything of dyncrm's own
# must resolve.
nitpick_ignore_regex = [
    # standard library, typing and collections.abc
    (r"py:.*", r"(datetime|dt|decimal|pathlib|typing|collections\.abc|enum|os|io|re)\..*"),
    (r"py:.*", r"(Path|Decimal|Any|Callable|Iterable|Iterator|Mapping|Sequence|Literal|"
               r"Self|TypeVar|ClassVar|IO|TextIO|BinaryIO|Generator|ContextManager|"
               r"contextlib\..*|NoneType|Exception|ValueError|KeyError|LookupError|"
               r"RuntimeError|OSError|TypeError|PermissionError|FileNotFoundError|"
               r"UserWarning|Warning|Enum|NamedTuple|TypedDict|Protocol)"),
    (r"py:class", r"(int|str|bytes|bool|float|dict|list|tuple|set|frozenset|object|type|None)"),
    # third-party libraries: peewee, click, pluggy, jinja2, attrs, pytest, fpdf2
    (r"py:.*", r"(peewee|playhouse|click|pluggy|jinja2|attrs?|attr|pytest|_pytest|fpdf|"
               r"markdown_it|PIL|pypdf|segno|flask|werkzeug)(\..*)?"),
    (r"py:class", r"(Flask|Blueprint|FlaskClient|TestResponse|F|FPDF)"),
]
# dyncrm's internal modules and types. They appear in signatures and docstrings of the
# stable API (a parameter's type, a "see also"), but are themselves internal (see
# stability.rst): database rows (read their documented fields, never rely on the model
# class), the configuration object, the plugins' helper modules behind their package-level
# names, and result types of the bundled plugins that autodoc renders by short name.
nitpick_ignore_regex += [
    (r"py:(class|mod|data|func|attr|meth|exc|obj)",
     r"dyncrm\.(db|config|i18n|simclock|templating|session_store|faults|auth|hookspecs|"
     r"plugins|dates|uploads|passwords|default_hooks)(\..*)?"),
    (r"py:(class|mod|data|func|attr|meth|exc|obj)",
     r"(dyncrm_expand|dyncrm_acquire|dyncrm_retain)\.[a-z]+_[a-z_]+\.[A-Za-z_.]+"),
    (r"py:mod", r"(dyncrm_expand|dyncrm_acquire|dyncrm_retain)\.[a-z]+_[a-z_]+"),
    # the same helper modules once a plugin is a folder (dyncrm_expand.savings.deposits):
    # a module or a name one level below the documented plugin module is internal too.
    (r"py:mod", r"(dyncrm_expand|dyncrm_acquire|dyncrm_retain)\.[a-z_]+\.[a-z_]+"),
    (r"py:(class|data|func|attr|meth|exc|obj)",
     r"(dyncrm_expand|dyncrm_acquire|dyncrm_retain)\.[a-z_]+\.[a-z_]+\.[A-Za-z_.]+"),
    (r"py:class", r"Config|Catalogue|Member|Account|OutboxMessage|SmtpSettings|"
                  r"LoanProduct|LoanGrade|DisbursementResult|InstallmentInfo|OverdueItem|"
                  r"PaymentInfo|RepaymentResult|Tier|Banner|ServedBanner"),
    (r"py:data", r"MAX_BYTES|MAX_PIXELS"),
    (r"py:(class|mod|func|exc)", r"dyncrm\.periods(\..*)?|same_proof|DuplicateProof"),
    (r"py:class", r"fractions\.Fraction"),
    # click's ParamType.convert docstring, inherited by dyncrm.params' types, says :meth:`fail`.
    (r"py:meth", r"fail"),
    # dyncrm_acquire.registration re-exports check/update_profile whose docstrings name
    # their own module's ValidationError/DuplicateError and EDITABLE by short name.
    (r"py:class", r"ValidationError|DuplicateError"),
    (r"py:data", r"EDITABLE"),
]

html_theme = "alabaster"
html_static_path: list[str] = []
exclude_patterns = ["_build"]
