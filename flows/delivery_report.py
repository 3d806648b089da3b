"""The delivery report of a run's sends: a table row per send and a CSV of whom each did not reach.

Called by the send flow once its sends are done (or skipped), inside its
run and its API limit: each send's two reads run as one task, all at once.
A send whose reads fail is a row with its problem, and the others are still
reported; a refused credential ends the run, since no read can pass.

The CSVs go under the run's output folder (``output_dir``, inside the work
root). The send flow checks that folder with the same helper before it sends
anything (``formats.paths.output_folder``), so a bad path is refused before
any mail goes out, not after.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from flows.reporting import publish
from kaltura_events.api.errors import CredentialsRefused, KalturaError
from kaltura_events.credentials import KalturaCredentials
from kaltura_events.formats.delivery_files import write_undelivered
from kaltura_events.formats.paths import output_folder
from kaltura_events.planning.delivery import DeliveryReport, SendDelivery, SendRecord, sessions_of
from tasks.message_reports import read_send_delivery


class UnreadSend(BaseModel):
    """A send whose delivery could not be read, and why (the error's own words, never a secret)."""

    session: str
    series_key: str
    occurrence: str
    send_name: str
    problem: str


class SendsReport(BaseModel):
    """The report of a run's sends; ``unread`` are those whose reads failed."""

    delivery: DeliveryReport
    unread: list[UnreadSend] = []

    def rows(self) -> list[dict[str, str | int]]:
        rows: list[dict[str, str | int]] = [{**row, "problem": ""} for row in self.delivery.rows()]
        for send in self.unread:
            unread: dict[str, str | int] = {
                "send": send.send_name,
                "occurrence": send.occurrence,
                "series": send.series_key,
                "problem": f"not read: {send.problem}",
            }
            rows.append(unread)
        return rows

    def summary(self) -> str:
        text = self.delivery.summary()
        return text + (f"; {len(self.unread)} send(s) not read" if self.unread else "")


def report_sends(
    credentials: KalturaCredentials | None,
    sends: Sequence[SendRecord],
    *,
    output_dir: str | None = None,
    key_parts: Sequence[str] = (),
) -> SendsReport:
    """Read each send's delivery, write the CSVs of whom they did not reach, publish the table.

    ``key_parts`` name the table artifact after ``delivery`` (by default the
    series the sends belong to), so runs of different series never share one.
    """
    sessions_of(sends)
    output = output_folder(output_dir, "output_dir")
    futures = [(send, read_send_delivery.submit(credentials=credentials, send=send)) for send in sends]
    read: list[SendDelivery] = []
    unread: list[UnreadSend] = []
    for send, future in futures:
        try:
            read.append(future.result())
        except CredentialsRefused:
            raise
        except KalturaError as exc:
            unread.append(
                UnreadSend(
                    session=send.session,
                    series_key=send.series_key,
                    occurrence=send.occurrence,
                    send_name=send.send_name,
                    problem=str(exc),
                )
            )
    files = []
    if output is not None:
        files = [str(path) for path in write_undelivered(output, read)]
    report = SendsReport(delivery=DeliveryReport(sends=read, files=files), unread=unread)
    subject = list(key_parts) or sorted({send.series_key for send in sends})
    publish(["delivery", *subject], report.rows(), report.summary())
    return report
