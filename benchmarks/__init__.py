"""imgcli's benchmarks, run as modules from the repository's root (they import the `fakecloud`
package beside them): `python -m benchmarks.run` (image list against openstack and glance on a
FakeCloud), `python -m benchmarks.data` (image data on the local real Glance) and
`python -m benchmarks.phases` (where one command's wall time goes). See README.md here."""
