"""The flow, in the order a report travels; read this package first.

``ingest -> store -> detect -> triage -> review -> enforce -> appeal``

- :mod:`reportguard.pipeline.batch`: a whole report log at once. Files are imported
  (:mod:`reportguard.ingest`, validated and stored, network identifiers hashed), campaigns are
  detected over the stored log (:mod:`reportguard.detect`) and stored, and the reports become
  scored cases (:mod:`reportguard.triage`). ``reportguard ingest``, ``detect`` and ``triage`` run
  these steps one by one; ``reportguard demo`` runs them together.
- :mod:`reportguard.pipeline.live`: the same steps as reports arrive through the API, in a worker
  process beside the server, with incremental detection.
- :mod:`reportguard.pipeline.verdicts`: what a moderator's campaign verdict sets moving (the
  verdict, then the cases it re-scores), one function for the command line, the API and the
  dashboard.
- :mod:`reportguard.pipeline.demo`: the batch flow on a synthetic platform, scored against its
  ground truth.

Review, enforcement and appeals (:mod:`reportguard.moderation`, :mod:`reportguard.enforce`) are
a moderator's steps; they feed verdicts back into reporters' credibility
(:mod:`reportguard.reporters`), which the next triage pass reads.

Nothing is imported here, so importing one step does not load the others.
"""
