"""Collection rules for the whole tree (the tests' own fixtures are in tests/conftest.py).

``pip install -e .[dev]`` is enough to collect: the Spark engine's modules import PySpark and
pandas at module level, so their doctests are only collected when the ``spark`` extra is there.
"""

from importlib.util import find_spec

collect_ignore_glob = (
    [] if find_spec("pyspark") and find_spec("pandas") else ["src/reportguard/spark/*"]
)
