"""The transfer package's name for imgcli.progress, where the one progress line lives
(image list draws with it too, without importing the transfer package).

Imports: imgcli.progress only.
"""

from imgcli.progress import Progress, StatusLine

__all__ = ["Progress", "StatusLine"]
