"""A fake OpenStack cloud on loopback, shared by the benchmarks and the tests: Keystone and
Glance look-alikes that answer as devstack's do, fast at 100k images, and misbehave on demand.

    identity  the one user's password, the tokens, Keystone's documents
    images    deterministic image records, Glance's version list and schemas
    listing   Glance's image list: filters, sort keys, keyset paging (no HTTP)
    server    FakeCloud: Keystone + Glance's image list, with named faults
    data      LoopbackGlance: Glance's image records and data, with knobs for faults
    hostile   routes that attack the client: redirects, endless error pages, another host
    loopback  the HTTP plumbing they share

Run one with `python -m fakecloud --images N` from the repository's root. The package is not
part of imgcli's wheel (pyproject.toml packages only imgcli*); the tests import it through
pytest's `pythonpath`, the benchmarks by running as modules from the root.

Imports: the standard library only; never imgcli, tests or benchmarks.
"""

from fakecloud.identity import ADMIN_PROJECT_ID, FAKE_PASSWORD, FAKE_TOKEN, make_token, secrets
from fakecloud.images import make_images
from fakecloud.server import FAULTS, HTML_401, FakeCloud

__all__ = ["ADMIN_PROJECT_ID", "FAKE_PASSWORD", "FAKE_TOKEN", "FAULTS", "HTML_401", "FakeCloud",
           "make_images", "make_token", "secrets"]
