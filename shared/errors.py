"""The errors the domain raises: a stable English `code` for programs, a Vietnamese
`message` for people; shared/app.py turns each into a JSON 4xx reply."""


class QueueError(Exception):
    """A request the queue refuses; `code` is stable English, `message` is for people."""

    code = "invalid"

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


class TooFast(QueueError):
    """One kiosk issued its minute's worth of tickets; `retry_after` says when the next may go."""

    code = "too_many_tickets"

    def __init__(self, retry_after: int):
        super().__init__(f"Máy lấy số đang cấp quá nhanh. Vui lòng chờ {retry_after} giây rồi chạm lại.")
        self.retry_after = retry_after
