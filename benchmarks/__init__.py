"""dyncrm's benchmarks: ``python -m benchmarks`` (see ``__main__.py`` and README.md).

The modules here import each other as top-level modules (``harness``, ``worlds``,
``pairs``), with this folder on ``sys.path``, as ``benchmarks/run.py`` always has.
"""
