"""Batch detection on Apache Spark, for report logs beyond one machine.

The same signals and campaign fusion as :mod:`reportguard.detect.campaigns`, written as Spark
DataFrame operations (one module per detector, mirroring :mod:`reportguard.detect.signals`). Both
engines read their parameters from the same detector objects (``CampaignDetector.default()``), and
the same equality tests hold them to the same answer. PySpark is an optional dependency
(``pip install 'reportguard[spark]'``); nothing here is imported unless the Spark engine is used.
"""
