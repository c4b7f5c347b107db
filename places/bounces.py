"""Late bounces: delivery status notifications (RFC 3464) read from a mailbox.

Our mail server accepts most messages and only later learns that an address does not
exist; it then mails a report (`multipart/report; report-type=delivery-status`) to the
sender address. `record_mailbox` reads such reports from an mbox file or a Maildir
directory, with Python's email package, and records each failed recipient in
BouncedAddress through `emails.record_bounce`:

- `Action: failed` with a 5.x.x status: a permanent failure, the address is blocked;
- `Action: failed` with a 4.x.x status (or none readable): a temporary failure, counted;
  the address is blocked once it has BOUNCE_TRANSIENT_LIMIT of them;
- `Action: delayed` (the server still tries), `delivered`, `relayed`, `expanded`: read and
  reported, nothing recorded.

Messages that are not delivery reports are left alone. See docs/decisions/0025.
"""

from __future__ import annotations

import mailbox
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

from django.db import transaction

from places import emails


@dataclass(frozen=True)
class Failure:
    email: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # "5.1.1", "" when missing
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and self.status.startswith("5.")

    @property
    def transient(self) -> bool:
        return self.action == "failed" and not self.permanent


@dataclass
class Report:
    """What one reading of a mailbox found and did."""

    messages: int = 0
    reports: int = 0
    not_reports: int = 0
    permanent: list[str] = field(default_factory=list)
    transient: list[str] = field(default_factory=list)
    not_counted: list[tuple[str, str]] = field(default_factory=list)  # (address, action)
    removed: int = 0

    def lines(self) -> list[str]:
        out = [
            f"Read {self.messages} messages: {self.reports} delivery reports, "
            f"{self.not_reports} other messages (left alone)."
        ]
        out += [f"permanent failure: {email}" for email in self.permanent]
        out += [f"temporary failure: {email}" for email in self.transient]
        out += [f"not counted ({action}): {email}" for email, action in self.not_counted]
        out.append(
            f"Recorded {len(self.permanent)} permanent and {len(self.transient)} temporary "
            f"failures."
            + (f" Removed {self.removed} reports from the mailbox." if self.removed else "")
        )
        return out


def _address(value: str | None) -> str:
    """`rfc822; Alice@Example.org` -> `alice@example.org` ("" when there is none)."""
    if not value:
        return ""
    _kind, _sep, address = str(value).partition(";")
    address = (address or _kind).strip().strip("<>").strip()
    return address.lower() if "@" in address else ""


def _blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part: per message, then per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [b for b in payload if isinstance(b, Message)]
    # Some senders encode the part: decode it and parse the blank-line separated blocks.
    raw = part.get_payload(decode=True) or b""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
    text = text.replace("\r\n", "\n")
    return [HeaderParser().parsestr(chunk) for chunk in text.split("\n\n") if chunk.strip()]


def is_delivery_report(message: Message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and (message.get_param("report-type") or "").lower() == "delivery-status"
    )


def failures(message: Message) -> list[Failure]:
    """The recipients a delivery report speaks about (empty for any other message)."""
    if not is_delivery_report(message):
        return []
    found: dict[str, Failure] = {}
    for part in message.walk():
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        for block in _blocks(part)[1:]:  # the first block speaks of the message
            email = _address(block.get("Final-Recipient")) or _address(
                block.get("Original-Recipient")
            )
            if not email:
                continue
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip().split(" ")[0]
            if not (len(status) >= 5 and status[0] in "245" and status[1] == "."):
                status = ""
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            found.setdefault(email, Failure(email, action, status, diagnostic[:500]))
    return list(found.values())


def _open(path: str) -> mailbox.Mailbox:
    if os.path.isdir(path):
        return mailbox.Maildir(path, factory=None, create=False)
    if os.path.isfile(path):
        return mailbox.mbox(path, create=False)
    raise FileNotFoundError(path)


def _messages(box: mailbox.Mailbox) -> Iterator[tuple[str, Message]]:
    for key in list(box.keys()):
        try:
            yield key, box.get_message(key)
        except (KeyError, OSError):  # removed by someone else meanwhile
            continue


def record_mailbox(path: str, *, remove: bool = False, dry_run: bool = False) -> Report:
    """Read every delivery report in the mailbox at `path` and record the failures.

    `remove` deletes the reports read (never other messages) once recorded, so that the
    next run does not count them again; `dry_run` records and removes nothing.
    """
    box = _open(path)
    report = Report()
    read_keys = []
    box.lock()
    try:
        with transaction.atomic():
            for key, message in _messages(box):
                report.messages += 1
                if not is_delivery_report(message):
                    report.not_reports += 1
                    continue
                report.reports += 1
                read_keys.append(key)
                for failure in failures(message):
                    if failure.action != "failed":
                        report.not_counted.append((failure.email, failure.action or "?"))
                        continue
                    (report.permanent if failure.permanent else report.transient).append(
                        failure.email
                    )
                    if not dry_run:
                        emails.record_bounce(
                            failure.email,
                            " ".join(filter(None, [failure.status, failure.diagnostic]))
                            or "delivery report: failed",
                            permanent=failure.permanent,
                            status=failure.status,
                        )
        if remove and not dry_run:
            for key in read_keys:
                box.remove(key)
                report.removed += 1
            box.flush()
    finally:
        box.unlock()
        box.close()
    return report
