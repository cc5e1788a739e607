"""Wait estimates: when each waiting citizen will be called, found by playing the counters
forward; no Flask here.

The old estimate (`ahead x today's mean service / open counters of the field`) was wrong
in ways bench/wait_model.py measures: it counted a counter shared by two fields as if it
served one, ignored priority tickets and bookings that go first, the citizens being
served now, the lunch break and closing time, and knew nothing before today's third
finished ticket. This module instead replays what the counters will do, the way
`queue.call_next` does it:

- the counters really served now (`serving_counters`), each free when its current
  citizen is expected to leave (the mean remaining time of service times that lasted
  as long already);
- each free counter calls, among the tickets of all its fields, priority first (or
  one in `priority_every` under interleave), then by place in the queue (`arrived_at`,
  which for a booking is its slot's start), so shared counters and priority are what
  the real calls are;
- bookings of today not yet checked in join at their slot's start, weighted by the
  share of bookings that came on the same weekdays before;
- each call takes the field's expected counter time (call to finish, no-shows
  included): today's mean blended with the same weekday's history, so there is a
  figure before today's first finished ticket;
- counters call only within `center.counter_hours`: a call that would fall in the
  lunch break moves to 13:30 ("sau 13:30");
- closing is a decision, not a guess (shared/queue.py, call_next): the kiosk promises a
  same-day call to a citizen the counters are expected to reach by closing plus
  `center.promise_past_closing_min`, and tells the others "có thể không kịp trong hôm
  nay"; after closing the counters go on calling every promised number, and a warned one
  only by hand. So the projection plays promised tickets past closing, and a citizen
  already promised is shown the time the counters will really reach them.

One pass gives every waiting ticket its call time, plus one "next citizen" per field
(the kiosk's start screen and the supervisor's overflow alert), so the projection is
computed once per change of the queue and shared by the kiosk, every phone and the
dashboard (`projection`, cached per database and queue version).
"""
import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from . import blocking, hours, presence, queue
from .audit import day_of, stamp
from .config import Queue
from .db import immediate
from .reports import tolerance

HISTORY_WEEKS = 4
PRIOR_WEIGHT = 10          # the same weekday's history counts as this many of today's calls
DEFAULT_SERVICE_S = 480.0  # nothing known at all: a new center's first call
REFRESH_S = 60             # a projection is recomputed at least this often while nothing changes
# A call expected within max(BREAK_MARGIN_MIN_S, BREAK_MARGIN_SHARE x the wait) before the
# lunch break is as likely to slip past it: the citizen is told the time after the break.
BREAK_MARGIN_SHARE = 0.15
BREAK_MARGIN_MIN_S = 300
# The figure shown is the expected wait plus this share: a promise too short costs a citizen
# more than one too long (measured by bench/wait_model.py).
PAD_SHARE = 0.12


def serving_counters(db, at: datetime) -> list[dict]:
    """The counters whose officers will call: open, not paused and with an officer present
    (shared/presence.py decides who is really at a counter), with their fields in the
    officer's order and their current citizen."""
    served = presence.serving_counters(db, at)
    current = {row["counter_id"]: row for row in db.execute(
        "SELECT counter_id, service, called_at FROM tickets WHERE status = 'called' AND day = ?", (day_of(at),))}
    return [{"id": row["id"], "services": served[row["id"]]["services"],
             "current": {"service": current[row["id"]]["service"], "called_at": current[row["id"]]["called_at"]}
             if row["id"] in current else None}
            for row in db.execute("SELECT id FROM counters WHERE open = 1 AND paused = 0 ORDER BY position, id")
            if row["id"] in served]


@dataclass
class Service:
    """A field's expected counter time per call (seconds) and the durations it comes from."""
    mean: float
    samples: list[float] = field(default_factory=list)

    def remaining(self, elapsed: float) -> float:
        """Expected time still to go for a call that has lasted `elapsed` s: the mean excess
        of the known durations longer than that (a long file tends to stay long)."""
        longer = [s - elapsed for s in self.samples if s > elapsed]
        if longer:
            return sum(longer) / len(longer)
        return max(30.0, self.mean - elapsed)


def _durations(rows) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for row in rows:
        seconds = (datetime.fromisoformat(row[2]) - datetime.fromisoformat(row[1])).total_seconds()
        if 0 < seconds < 4 * 3600:
            out.setdefault(row[0], []).append(seconds)
    return out


def _path(db) -> str:
    """The key of a database's caches: its file (a connection of its own when in memory)."""
    return db.conn.execute("PRAGMA database_list").fetchone()[2] or str(id(db.conn))


_history_cache: dict[tuple, tuple] = {}  # plain dict reads and writes: atomic, no lock (a race recomputes)


def history(db, at: datetime) -> tuple[dict[str, list[float]], float | None]:
    """Counter time per call of the same weekday in the HISTORY_WEEKS weeks before today
    (every earlier day of those weeks when that weekday has none), and the share of
    bookings that checked in. Cached for the day: the past does not change."""
    today = at.date()
    key = (_path(db), today)
    if key in _history_cache:
        return _history_cache[key]
    first = (today - timedelta(weeks=HISTORY_WEEKS)).isoformat()
    days = [r[0] for r in db.execute("SELECT DISTINCT day FROM tickets WHERE day >= ? AND day < ?",
                                     (first, today.isoformat()))]
    same = [d for d in days if date.fromisoformat(d).weekday() == today.weekday()] or days
    marks = ",".join("?" * len(same))
    durations = _durations(db.execute(
        f"SELECT service, called_at, finished_at FROM tickets WHERE day IN ({marks})"
        " AND status IN ('done', 'no_show') AND called_at IS NOT NULL AND finished_at IS NOT NULL", same)) if same else {}
    came = db.execute(f"SELECT sum(status = 'checked_in'), sum(status IN ('booked', 'checked_in')) FROM bookings"
                      f" WHERE day IN ({marks})", same).fetchone() if same else (None, None)
    result = (durations, came[0] / came[1] if came[1] else None)
    _history_cache[key] = result
    return result


def service_times(db, at: datetime) -> dict[str, Service]:
    """Per field: today's counter time per call blended with the same weekday's history
    (history weighs PRIOR_WEIGHT calls), the pooled figure of all fields where a field
    has none, DEFAULT_SERVICE_S where nothing at all is known."""
    past, _ = history(db, at)
    today = _durations(db.execute(
        "SELECT service, called_at, finished_at FROM tickets WHERE day = ? AND status IN ('done', 'no_show')"
        " AND called_at IS NOT NULL AND finished_at IS NOT NULL", (day_of(at),)))
    every = [s for group in (past, today) for values in group.values() for s in values]
    pooled = sum(every) / len(every) if every else DEFAULT_SERVICE_S
    out = {}
    for code in {r[0] for r in db.execute("SELECT code FROM services")}:
        old, new = past.get(code, []), today.get(code, [])
        prior = sum(old) / len(old) if old else pooled
        weight = min(PRIOR_WEIGHT, len(old)) if old else 2
        mean = (prior * weight + sum(new)) / (weight + len(new))
        out[code] = Service(mean, old + new)
    return out


@dataclass
class Ticket:
    id: int
    service: str
    priority: bool
    arrived: datetime
    weight: float = 1.0              # a booking not yet checked in: the share expected to come
    available: datetime | None = None
    promised: bool = True            # False: warned at the kiosk, so not called after closing


@dataclass
class Projection:
    """What the counters are expected to do from `at` on."""
    at: datetime
    calls: dict[int, datetime | None]          # waiting ticket id -> expected first call (None: not today)
    next_call: dict[str, datetime | None]      # field -> expected call of a citizen taking a number now
    served_by: dict[str, int]                  # field -> counters serving it now
    unstaffed: frozenset                       # fields served by open, unpaused counters none of which has an officer
    close: datetime | None                     # the counters' closing (None: no counter_hours set)
    promise_until: datetime | None             # a newcomer reached later than this is warned
    sessions: list[tuple[datetime, datetime]]


def play(at: datetime, counters: list[dict], tickets: list[Ticket], services: dict[str, Service],
         sessions: list[tuple[datetime, datetime]], policy: Queue, close: datetime | None = None) -> dict:
    """Replay the counters' calls from `at`: ticket id -> expected call time (absent: not today).

    counters: [{"id", "services", "free_at", "recent": [priority of its last calls, newest first]}].
    Tickets with `available` join the queue at that moment (bookings not yet checked in).
    From `close` on, the counters go on calling the promised tickets (queue.call_next) until
    none is left."""
    queues: dict[tuple[str, bool], list] = {}
    later = sorted((t for t in tickets if t.available and t.available > at), key=lambda t: t.available)
    for t in tickets:
        if not (t.available and t.available > at):
            heapq.heappush(queues.setdefault((t.service, t.priority), []), (t.arrived, t.id, t))
    strict = policy.priority_policy == "strict"
    every = policy.priority_every
    free = [(c["free_at"], i) for i, c in enumerate(counters) if c["services"]]
    heapq.heapify(free)
    recent = [list(c.get("recent", [])) for c in counters]
    calls: dict[int, datetime] = {}
    joined = 0

    def within(moment: datetime) -> datetime | None:
        for start, end in sessions:
            if moment < end:
                return max(moment, start)
        return moment if close is not None and moment >= close else None

    while free:
        moment, i = heapq.heappop(free)
        moment = within(moment)
        if moment is None:
            continue
        while joined < len(later) and later[joined].available <= moment:
            t = later[joined]
            heapq.heappush(queues.setdefault((t.service, t.priority), []), (t.arrived, t.id, t))
            joined += 1
        fields = counters[i]["services"]
        if close is not None and moment >= close:
            # Moments come in order: no counter reaches a warned ticket before closing any more.
            for f in fields:
                for priority in (False, True):
                    waiting = queues.get((f, priority))
                    while waiting and not waiting[0][2].promised:
                        heapq.heappop(waiting)
        prefer = strict or not any(recent[i][:every - 1])
        pick = None
        for priority in (prefer, not prefer):
            heads = [queues[(f, priority)][0] + ((f, priority),) for f in fields if queues.get((f, priority))]
            if heads:
                pick = min(heads, key=lambda h: (h[0], h[1]))
                break
        if pick is None:
            waiting_for = [t.available for t in later[joined:] if t.service in fields]
            if waiting_for:
                heapq.heappush(free, (min(waiting_for), i))
            continue
        _, _, ticket, key = pick
        heapq.heappop(queues[key])
        calls[ticket.id] = moment
        recent[i].insert(0, ticket.priority)
        service = services.get(ticket.service)
        heapq.heappush(free, (moment + timedelta(seconds=(service.mean if service else DEFAULT_SERVICE_S)
                                                 * ticket.weight), i))
    return calls


RATE_WINDOW = timedelta(minutes=30)
# Ids of citizens the projection imagines (real tickets have positive ids): each field's next
# citizen GHOST - i, bookings not yet checked in BOOKED - booking id, expected priority PHANTOM - k.
GHOST, BOOKED, PHANTOM = -1, -10 ** 9, -2 * 10 ** 9


def expected_priority(db, config: dict, at: datetime) -> list[Ticket]:
    """Priority citizens not here yet who will go ahead: per field, today's arrival rate of
    the last RATE_WINDOW (of kiosk opening time) times the share of priority tickets (the
    same weekday's history and today together), placed evenly over the kiosk's hours ahead.
    At the morning crowd, those arriving in the next minutes are called before a normal
    number taken now; leaving them out made the first promises of a peak day 10 min short."""
    kiosk = hours.periods(config.center.hours, at)
    if not any(a <= at for a, _ in kiosk):
        return []
    # Over a whole window even just after opening: the crowd at the door comes once.
    since, span = at - RATE_WINDOW, RATE_WINDOW
    counts = dict(db.execute("SELECT service, count(*) FROM tickets WHERE day = ? AND issued_at > ? AND issued_at <= ?"
                             " GROUP BY service", (day_of(at), stamp(since), stamp(at))).fetchall())
    first = (at.date() - timedelta(weeks=HISTORY_WEEKS)).isoformat()
    share = db.execute("SELECT avg(priority) FROM tickets WHERE day >= ? AND day <= ?", (first, day_of(at))).fetchone()[0]
    if not share:
        return []
    ahead = [(max(a, at), b) for a, b in kiosk if b > at]
    out = []
    for code, n in counts.items():
        gap = span.total_seconds() / (n * share)
        due = gap / 2
        for a, b in ahead:
            length = (b - a).total_seconds()
            while due < length:
                out.append(Ticket(PHANTOM - len(out), code, True, a + timedelta(seconds=due),
                                  available=a + timedelta(seconds=due)))
                due += gap
            due -= length
    return out


def build(db, config: dict, at: datetime) -> Projection:
    """Read today's queue, counters, service times and bookings, and play them forward."""
    day = day_of(at)
    services = service_times(db, at)
    served = serving_counters(db, at)
    recent: dict[int, list[bool]] = {}
    for row in db.execute("SELECT counter_id, priority FROM tickets WHERE day = ? AND counter_id IS NOT NULL"
                          " AND called_at IS NOT NULL ORDER BY called_at DESC, id DESC", (day,)):
        recent.setdefault(row[0], []).append(bool(row[1]))
    counters = []
    for c in served:
        free_at = at
        if c["current"]:
            elapsed = (at - datetime.fromisoformat(c["current"]["called_at"])).total_seconds()
            service = services.get(c["current"]["service"]) or Service(DEFAULT_SERVICE_S)
            free_at = at + timedelta(seconds=service.remaining(max(0.0, elapsed)))
        counters.append({"id": c["id"], "services": c["services"], "free_at": free_at,
                         "recent": recent.get(c["id"], [])[:20]})
    tickets = [Ticket(r["id"], r["service"], bool(r["priority"]), datetime.fromisoformat(r["arrived_at"]),
                      promised=not r["warned"])
               for r in db.execute(f"SELECT id, service, priority, arrived_at, {queue.WARNED} AS warned FROM tickets"
                                   " WHERE status = 'waiting' AND day = ?", (day,))]
    booking = config.booking
    if booking.enabled:
        _, came = history(db, at)
        late_ok = timedelta(minutes=booking.checkin_after_min)
        for row in db.execute("SELECT id, service, slot FROM bookings WHERE day = ? AND status = 'booked'", (day,)):
            start = datetime.fromisoformat(f"{day}T{row['slot']}").replace(tzinfo=at.tzinfo)
            if start + late_ok >= at:
                tickets.append(Ticket(BOOKED - row["id"], row["service"], False, start,
                                      weight=1.0 if came is None else came, available=start))
    codes = [r[0] for r in db.execute("SELECT code FROM services ORDER BY position, code")]
    close = hours.closing(config.center.counter_hours, at)
    promise_until = close and close + timedelta(minutes=config.center.promise_past_closing_min)
    for t in expected_priority(db, config, at):
        # one coming after promise_until will be warned: not called after closing
        t.promised = promise_until is None or t.available <= promise_until
        tickets.append(t)
    ghost_arrival = max([at] + [t.arrived for t in tickets if t.available is None])
    ghosts = {GHOST - i: code for i, code in enumerate(codes)}
    # Weightless: each field's next citizen is called when a counter would reach them, without
    # taking the counter from the next citizen of another field.
    tickets += [Ticket(gid, code, False, ghost_arrival + timedelta(microseconds=1), weight=0.0)
                for gid, code in ghosts.items()]
    sessions = hours.periods(config.center.counter_hours, at)
    if not config.center.counter_hours:  # counters call whenever someone waits: no closing to warn of
        sessions = [(sessions[0][0], sessions[0][0] + timedelta(days=7))]
    calls = play(at, counters, tickets, services, sessions, config.queue, close)
    served_by = {code: sum(1 for c in served if code in c["services"]) for code in codes}
    unstaffed = frozenset(r[0] for r in db.execute(
        "SELECT DISTINCT s.service FROM counters c JOIN counter_services s ON s.counter_id = c.id"
        " WHERE c.open = 1 AND c.paused = 0")) - {code for code, n in served_by.items() if n}
    return Projection(
        at=at,
        calls={t.id: calls.get(t.id) for t in tickets if t.id > 0},
        next_call={code: calls.get(gid) for gid, code in ghosts.items()},
        served_by=served_by,
        unstaffed=unstaffed,
        close=close,
        promise_until=promise_until,
        sessions=sessions)


_cache: dict[str, tuple] = {}



def projection(db, config: dict, at: datetime) -> Projection:
    """The projection for `at`, reused while the queue is unchanged (no new audit row) and it is
    less than REFRESH_S old: every phone asks after every change, the answer is computed once."""
    path = _path(db)
    # Officers come and go without an audit row (presence): who is here is part of the version.
    version = (db.execute("SELECT max(id) FROM audit").fetchone()[0], tuple(sorted(presence.present(db, at))))
    hit = _cache.get(path)
    if hit and hit[0] == version and timedelta(0) <= at - hit[1].at < timedelta(seconds=REFRESH_S):
        return hit[1]
    # Milliseconds of pure Python over a few hundred tickets: off the event loop, like a report.
    result = blocking.run(lambda: build(db, config, at))
    _cache[path] = (version, result)
    return result


def _promise(p: Projection, call: datetime | None, code: str, at: datetime, deciding: bool) -> dict:
    """What a citizen is told: {"minutes", "at" (HH:MM of the expected call), "after" (the
    opening the call waits for, e.g. "13:30"), "late", "reason"}. `deciding`: the kiosk's
    promise (at issue, or to whoever takes a number now), which warns past `promise_until`;
    a citizen already given a number is shown when the counters will reach them."""
    result = {"minutes": None, "at": None, "after": None, "late": False, "reason": None}
    if call is None:
        if not p.served_by.get(code) and (p.close is None or at < p.close):
            result["reason"] = "no_officer" if code in p.unstaffed else "no_counter"
        else:
            result["late"] = True
        return result
    wait = max(0.0, (call - at).total_seconds())
    margin = timedelta(seconds=max(BREAK_MARGIN_MIN_S, BREAK_MARGIN_SHARE * wait))
    for (_, end), (start, _) in zip(p.sessions, p.sessions[1:]):
        if end - margin < call < start:  # as likely after the break as before: say after
            call = start
    if deciding and p.promise_until is not None and call > p.promise_until:
        result["late"] = True
        return result
    wait = (call - at).total_seconds()
    result["minutes"] = round(wait * (1 + PAD_SHARE) / 60)
    result["at"] = f"{call:%H:%M}"
    opening = next((start for start, _ in p.sessions if at < start <= call), None)
    if opening is not None:
        result["after"] = f"{opening:%H:%M}"
    return result


def for_ticket(db, config: dict, ticket: dict, at: datetime, deciding: bool = False) -> dict:
    """The estimate of one waiting ticket (a ticket no longer waiting: minutes 0); `deciding`
    for the kiosk's promise at issue (see _promise)."""
    if ticket["status"] != "waiting":
        return {"minutes": 0, "at": None, "after": None, "late": False, "reason": None}
    p = projection(db, config, at)
    return _promise(p, p.calls.get(ticket["id"]), ticket["service"], at, deciding)


def for_fields(db, config: dict, at: datetime) -> dict[str, dict]:
    """Per field, the estimate of a citizen taking a normal number now."""
    p = projection(db, config, at)
    return {code: _promise(p, call, code, at, deciding=True) for code, call in p.next_call.items()}


ALERT_LEAD = timedelta(minutes=30)


def crowded(db, config: dict, at: datetime) -> list[dict]:
    """Fields whose queue already exceeds what their counters can serve before closing: some
    already waiting would be reached only after closing (or not at all), a citizen taking a
    number now would be, or would be called less than ALERT_LEAD before closing after a
    wait of at least ALERT_LEAD (a backlog reaching into the last half hour; a short wait in
    that half hour is not one: every call then falls in it). For the supervisor's alert,
    earlier than the kiosk's warning, while opening a counter still helps."""
    p = projection(db, config, at)
    if p.close is None or at >= p.close:
        return []

    def after_closing(call: datetime | None) -> bool:
        return call is None or call >= p.close
    unreached: dict[str, int] = {}
    for row in db.execute("SELECT id, service FROM tickets WHERE status = 'waiting' AND day = ?", (day_of(at),)):
        if after_closing(p.calls.get(row["id"])):
            unreached[row["service"]] = unreached.get(row["service"], 0) + 1
    out = []
    for code, call in p.next_call.items():
        backlog = call is not None and call > p.close - ALERT_LEAD and call - at >= ALERT_LEAD
        if p.served_by.get(code) and (unreached.get(code) or after_closing(call) or backlog):
            out.append({"service": code, "unreached": unreached.get(code, 0), "close": f"{p.close:%H:%M}",
                        "next_call": None if after_closing(call) else f"{call:%H:%M}"})
    return out


def record(db, ticket_id: int, source: str, promise: dict, at: datetime) -> None:
    """Keep what a citizen was told, so promise and outcome can be compared afterwards."""
    with immediate(db):
        db.execute("INSERT INTO promises (ticket_id, at, source, minutes, late, reason) VALUES (?, ?, ?, ?, ?, ?)",
                   (ticket_id, stamp(at), source, promise["minutes"], int(promise["late"]), promise["reason"]))
    if source == "kiosk" and promise["late"]:  # the cached projection still plays it after closing
        _cache.pop(_path(db), None)


def at_issue(db, config: dict, ticket: dict, at: datetime) -> dict:
    """The kiosk's promise to a citizen just given `ticket`, kept as promised (once: a booking
    scanned again at the kiosk shows its ticket again, with a fresh estimate). A booking
    checking in is never warned: its slot was the center's promise, made days before."""
    promise = for_ticket(db, config, ticket, at, deciding=not ticket["booked"])
    if not db.execute("SELECT 1 FROM promises WHERE ticket_id = ? AND source = 'kiosk'", (ticket["id"],)).fetchone():
        record(db, ticket["id"], "kiosk", promise, at)
    return promise


def shown_on_phone(db, config: dict, ticket: dict, at: datetime) -> dict:
    """The phone page's estimate; kept when it differs from the last one kept for the ticket
    (a different warning, or an expected call moved by more than the tolerance), so the
    promises table holds each change of what the citizen was told, not every refresh."""
    promise = for_ticket(db, config, ticket, at)
    if ticket["status"] != "waiting":
        return promise
    last = db.execute("SELECT at, minutes, late, reason FROM promises WHERE ticket_id = ? ORDER BY id DESC LIMIT 1",
                      (ticket["id"],)).fetchone()
    if last is None or _moved(last, promise, at):
        record(db, ticket["id"], "phone", promise, at)
    return promise


def _moved(last, promise: dict, at: datetime) -> bool:
    if bool(last["late"]) != promise["late"] or last["reason"] != promise["reason"]:
        return True
    if last["minutes"] is None or promise["minutes"] is None:
        return last["minutes"] != promise["minutes"]
    was = datetime.fromisoformat(last["at"]) + timedelta(minutes=last["minutes"])
    now = at + timedelta(minutes=promise["minutes"])
    return abs((now - was).total_seconds()) > tolerance(promise["minutes"] * 60)
