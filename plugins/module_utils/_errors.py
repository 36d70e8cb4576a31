# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one exception type modules catch and turn into ``fail_json``."""

from __future__ import annotations


class IpvsError(Exception):
    """A failure with a message meant for the operator.

    ``applied`` lists the operations (as dicts) that reached the kernel before
    the failure, so a partial apply is reported exactly.
    """

    def __init__(self, message: str, applied: list | None = None, errno: int | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.applied = list(applied or [])
        self.errno = errno
        # more keys for the failed result, such as the plan a guard refused
        self.details = dict(details or {})

    def result(self) -> dict:
        """Extra keys for ``fail_json``."""
        extra: dict = dict(self.details)
        if self.applied:
            extra["applied"] = self.applied
        if self.errno is not None:
            extra["errno"] = self.errno
        return extra
