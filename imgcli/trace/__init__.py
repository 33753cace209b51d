"""``--trace FILE``: record every HTTP exchange of a run and write it as Markdown or HAR 1.2.

The Markdown mirrors the project's seed document (docs/seed: ``openstack image list --all``):
a mermaid sequence diagram, a numbered explanation, one section per message with
mkdocs-material content tabs, and the printed output.

Design:

* ``Recorder.record`` is a ``requests`` response hook: it only keeps references (the
  ``Response``, which holds its ``PreparedRequest``) and a start time.  Parsing, redaction and
  rendering all happen in ``write``, so tracing costs nothing measurable while the command runs.
* Bodies are never read by the recorder.  A non-streamed response has its body loaded by
  ``requests.Session.send`` right after the hooks run, so at ``write`` time it is there.  A
  streamed body is shown only if the caller loaded it (``response.content``) before ``write``;
  otherwise the trace says it was not captured.  The recorder never consumes a stream.
* Redaction is structural (headers, JSON keys, query strings, URL user info, argv) and then a
  literal scrub of every secret value found that way, over every string written, so a secret
  echoed somewhere unexpected (an error message, another body) is caught too.

Only the standard library is imported here; ``requests`` types are for type checkers only.

Modules: ``recorder`` (hooks and ``write``), ``exchange`` (what is kept and its redacted view),
``redact``, ``attribution`` (which service answered), ``markdown`` and ``har`` (the two formats),
``notes`` (the hook by which the transfer code says what an image-data body was).
The package itself imports nothing: `from imgcli.trace.recorder import Recorder`.

Imports: nothing of imgcli.
"""
