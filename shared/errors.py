"""The errors the domain raises: a stable English `code` for programs, a Vietnamese
`message` for people; shared/app.py turns each into a JSON 4xx reply."""
import math


class QueueError(Exception):
    """A request the queue refuses; `code` is stable English, `message` is for people,
    `details` more for programs (added to the JSON error)."""

    code = "invalid"
    details: dict = {}

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(QueueError):
    code = "not_found"


class Conflict(QueueError):
    """The request is well formed but the queue's current state forbids it."""

    code = "conflict"


class RatingHold(Conflict):
    """The counter's next call waits for the rating of the citizen it has just finished
    (docs/reports.md); `details` tells a client when it may call: `hold_in` seconds, and
    the `ticket` being rated. `finished` says whether this call finished its citizen."""

    code = "rating_hold"

    def __init__(self, hold_in: float, ticket: dict, finished: bool):
        super().__init__(f"Đang chờ công dân số {ticket['number']} đánh giá: có thể gọi số tiếp sau "
                         f"{math.ceil(hold_in)} giây.")
        self.details = {"hold_in": hold_in, "ticket": ticket}
        self.finished = finished


class TooFast(QueueError):
    """One kiosk issued its minute's worth of tickets; `retry_after` says when the next may go."""

    code = "too_many_tickets"

    def __init__(self, retry_after: int):
        super().__init__(f"Máy lấy số đang cấp quá nhanh. Vui lòng chờ {retry_after} giây rồi chạm lại.")
        self.retry_after = retry_after
