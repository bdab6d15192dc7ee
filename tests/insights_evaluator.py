"""A test-side CloudWatch Logs Insights: StartQuery, GetQueryResults, StopQuery over moto's events.

moto's own Logs Insights lacks ``stats ... by`` and the functions the collector uses, so
:class:`InsightsEvaluator` (WSGI middleware in front of moto's app) answers the three
operations itself and passes every other request to moto. Written from the Logs Insights
query syntax reference, it evaluates exactly the subset the collector emits, and refuses
anything else with ``MalformedQueryException`` (so a test fails when the collector sends
a query outside that subset):

- commands separated by ``|`` (outside string literals): ``fields``, ``filter``,
  ``stats``, ``sort``, ``limit``;
- ``fields EXPR as NAME, ...`` or plain field names (``@timestamp, @logStream``);
- expressions: string literals in double or single quotes (a backslash escapes ``\\``,
  ``"`` and ``'``), integers, field names (``@message``, ``m0``), the functions
  ``strcontains(str, searchValue)`` (1 when ``str`` contains ``searchValue``, else 0)
  and ``toMillis(timestamp)``, comparisons ``= != < <= > >=``, ``and``, ``or``, ``not``
  and parentheses;
- ``stats count(*) | count() | min(f) | max(f) [as NAME], ... [by f, ...]``;
- ``sort FIELD [asc|desc]`` and ``limit N`` (at most 10,000; 10,000 when not given).

The time range is StartQuery's whole seconds, both ends inclusive: an event at
``endTime`` plus 999 ms is in. Results are strings as GetQueryResults gives them: a
timestamp as ``YYYY-MM-DD HH:MM:SS.mmm`` (UTC), numbers in decimal; rows of queries
without ``stats`` also carry ``@ptr``. The query is evaluated when it starts; each
GetQueryResults then answers ``Scheduled``/``Running`` :attr:`InsightsEvaluator.polls`
times before the final status (``Complete``, or :attr:`InsightsEvaluator.final_status`).
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tests.faults.middleware import FaultInjector, fault_server

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

ACCOUNT = "123456789012"
"""moto's default account."""
ROW_LIMIT = 10_000
JSON = "application/x-amz-json-1.1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class QueryError(Exception):
    """A query outside the supported subset: answered as ``MalformedQueryException``."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, order=True)
class Timestamp:
    """A time value (``@timestamp``, ``min(@timestamp)``): epoch milliseconds."""

    ms: int

    def __str__(self) -> str:
        when = _EPOCH + timedelta(milliseconds=self.ms)
        return when.strftime("%Y-%m-%d %H:%M:%S.") + f"{self.ms % 1000:03d}"


Value = str | int | float | Timestamp | None


def shown(value: Value) -> str:
    """A value as GetQueryResults gives it."""
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<number>\d+)
    | (?P<name>@?[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<op>>=|<=|!=|=|>|<|\(|\)|,|\*|\|)
    )""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"\\": "\\", '"': '"', "'": "'"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str


def unquote(literal: str) -> str:
    """A string literal's value: the quotes removed, ``\\\\``, ``\\"`` and ``\\'`` unescaped."""
    body = literal[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 >= len(body) or body[i + 1] not in _ESCAPES:
                raise QueryError(f"unsupported escape in {literal!r}")
            out.append(_ESCAPES[body[i + 1]])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def tokenize(query: str) -> list[Token]:
    """The query's tokens; anything else is an error."""
    tokens: list[Token] = []
    position = 0
    query = query.rstrip()
    while position < len(query):
        match = _TOKEN.match(query, position)
        if match is None or match.end() == position:
            raise QueryError(f"unexpected text at {position}: {query[position : position + 20]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
    return tokens


# --------------------------------------------------------------------------- expressions

Expr = tuple[Any, ...]
FUNCTIONS = {"strcontains": 2, "toMillis": 1}
AGGREGATES = {"count", "min", "max"}


class Parser:
    """Recursive descent over one command's tokens."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = list(tokens)
        self.at = 0

    def peek(self, text: str | None = None) -> Token | None:
        if self.at >= len(self.tokens):
            return None
        token = self.tokens[self.at]
        if text is not None and token.text != text:
            return None
        return token

    def take(self, text: str | None = None, kind: str | None = None) -> Token:
        token = self.peek()
        if token is None or (text is not None and token.text != text):
            raise QueryError(f"expected {text or kind}, got {token.text if token else 'the end'}")
        if kind is not None and token.kind != kind:
            raise QueryError(f"expected a {kind}, got {token.text!r}")
        self.at += 1
        return token

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def expect_end(self) -> None:
        if not self.done():
            raise QueryError(f"unexpected {self.tokens[self.at].text!r}")

    # or > and > not > comparison > primary
    def expression(self) -> Expr:
        left = self.conjunction()
        while self.peek("or"):
            self.take("or")
            left = ("or", left, self.conjunction())
        return left

    def conjunction(self) -> Expr:
        left = self.negation()
        while self.peek("and"):
            self.take("and")
            left = ("and", left, self.negation())
        return left

    def negation(self) -> Expr:
        if self.peek("not"):
            self.take("not")
            return ("not", self.negation())
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.primary()
        token = self.peek()
        if token is not None and token.text in ("=", "!=", "<", "<=", ">", ">="):
            self.take()
            return ("cmp", token.text, left, self.primary())
        return left

    def primary(self) -> Expr:
        token = self.take()
        if token.text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if token.kind == "string":
            return ("value", unquote(token.text))
        if token.kind == "number":
            return ("value", int(token.text))
        if token.kind == "name":
            if self.peek("("):
                return self.call(token.text)
            return ("field", token.text)
        raise QueryError(f"unexpected {token.text!r}")

    def call(self, name: str) -> Expr:
        if name not in FUNCTIONS:
            raise QueryError(f"unsupported function {name}")
        self.take("(")
        args = [self.expression()]
        while self.peek(","):
            self.take(",")
            args.append(self.expression())
        self.take(")")
        if len(args) != FUNCTIONS[name]:
            raise QueryError(f"{name} takes {FUNCTIONS[name]} arguments")
        return ("call", name, tuple(args))

    def name(self) -> str:
        return self.take(kind="name").text


def evaluate(expr: Expr, record: Mapping[str, Value]) -> Value:
    """``expr`` for one record."""
    kind = expr[0]
    if kind == "value":
        value: Value = expr[1]
        return value
    if kind == "field":
        return record.get(expr[1])
    if kind == "call":
        args = [evaluate(arg, record) for arg in expr[2]]
        if expr[1] == "strcontains":
            haystack, needle = args
            if not isinstance(haystack, str) or not isinstance(needle, str):
                return 0
            return 1 if needle in haystack else 0
        stamp = args[0]
        if not isinstance(stamp, Timestamp):
            raise QueryError("toMillis needs a timestamp")
        return stamp.ms
    if kind == "not":
        return int(not evaluate(expr[1], record))
    if kind == "and":
        return int(bool(evaluate(expr[1], record)) and bool(evaluate(expr[2], record)))
    if kind == "or":
        return int(bool(evaluate(expr[1], record)) or bool(evaluate(expr[2], record)))
    op, left, right = expr[1], evaluate(expr[2], record), evaluate(expr[3], record)
    if left is None or right is None:
        return 0
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    try:
        return int(comparisons[op](left, right))
    except TypeError:
        return 0


# --------------------------------------------------------------------------- commands


@dataclass
class Query:
    """A parsed query: its commands in order."""

    commands: list[tuple[str, Any]]


def split_commands(tokens: Sequence[Token]) -> list[list[Token]]:
    commands: list[list[Token]] = [[]]
    for token in tokens:
        if token.text == "|":
            commands.append([])
        else:
            commands[-1].append(token)
    if any(not command for command in commands):
        raise QueryError("an empty command")
    return commands


def parse_query(text: str) -> Query:
    """``text`` parsed, or :class:`QueryError`."""
    commands: list[tuple[str, Any]] = []
    for tokens in split_commands(tokenize(text)):
        parser = Parser(tokens)
        name = parser.name()
        if name == "fields":
            items: list[tuple[str, Expr]] = []
            while True:
                expr = parser.expression()
                if parser.peek("as"):
                    parser.take("as")
                    alias = parser.name()
                elif expr[0] == "field":
                    alias = expr[1]
                else:
                    raise QueryError("an expression in fields needs `as`")
                items.append((alias, expr))
                if not parser.peek(","):
                    break
                parser.take(",")
            commands.append(("fields", items))
        elif name == "filter":
            commands.append(("filter", parser.expression()))
        elif name == "stats":
            commands.append(("stats", parse_stats(parser)))
        elif name == "sort":
            key = parser.name()
            order = "asc"
            if parser.peek("desc") or parser.peek("asc"):
                order = parser.take().text
            commands.append(("sort", (key, order == "desc")))
        elif name == "limit":
            count = int(parser.take(kind="number").text)
            if not 1 <= count <= ROW_LIMIT:
                raise QueryError("limit must be from 1 to 10000")
            commands.append(("limit", count))
        else:
            raise QueryError(f"unsupported command {name}")
        parser.expect_end()
    return Query(commands)


def parse_stats(parser: Parser) -> tuple[list[tuple[str, str, str | None]], list[str]]:
    aggregates: list[tuple[str, str, str | None]] = []
    while True:
        function = parser.name()
        if function not in AGGREGATES:
            raise QueryError(f"unsupported aggregate {function}")
        parser.take("(")
        argument: str | None = None
        if parser.peek("*"):
            parser.take("*")
        elif not parser.peek(")"):
            argument = parser.name()
        parser.take(")")
        if function != "count" and argument is None:
            raise QueryError(f"{function} needs a field")
        default = f"{function}({argument or '*'})"
        alias = default
        if parser.peek("as"):
            parser.take("as")
            alias = parser.name()
        aggregates.append((alias, function, argument))
        if not parser.peek(","):
            break
        parser.take(",")
    by: list[str] = []
    if parser.peek("by"):
        parser.take("by")
        by.append(parser.name())
        while parser.peek(","):
            parser.take(",")
            by.append(parser.name())
    return aggregates, by


def run(query: Query, records: list[dict[str, Value]]) -> list[list[tuple[str, Value]]]:
    """The query's result rows: ``(field, value)`` pairs in display order."""
    display: list[str] = []
    limit = ROW_LIMIT
    stats = False
    for command, argument in query.commands:
        if command == "fields":
            for alias, expr in argument:
                for record in records:
                    record[alias] = evaluate(expr, record)
                if alias not in display:
                    display.append(alias)
        elif command == "filter":
            records = [r for r in records if evaluate(argument, r)]
        elif command == "stats":
            records, display = aggregate(records, *argument)
            stats = True
        elif command == "sort":
            key, descending = argument
            present = [r for r in records if r.get(key) is not None]
            absent = [r for r in records if r.get(key) is None]
            present.sort(key=lambda r: cast(Any, r[key]), reverse=descending)
            records = present + absent
        else:
            limit = min(limit, argument)
    if not display:
        display = ["@timestamp", "@message"]
    if not stats:
        display = [*display, "@ptr"]
    return [[(name, r.get(name)) for name in display] for r in records[:limit]]


def aggregate(
    records: list[dict[str, Value]],
    aggregates: list[tuple[str, str, str | None]],
    by: list[str],
) -> tuple[list[dict[str, Value]], list[str]]:
    groups: dict[tuple[Any, ...], list[dict[str, Value]]] = {}
    for record in records:
        groups.setdefault(tuple(record.get(name) for name in by), []).append(record)
    rows: list[dict[str, Value]] = []
    for key, members in groups.items():
        row: dict[str, Value] = dict(zip(by, key, strict=True))
        for alias, function, argument in aggregates:
            if function == "count":
                if argument is None:
                    row[alias] = len(members)
                else:
                    row[alias] = sum(1 for m in members if m.get(argument) is not None)
                continue
            values = [m[argument] for m in members if argument and m.get(argument) is not None]
            row[alias] = (min if function == "min" else max)(values) if values else None  # type: ignore[type-var]
        rows.append(row)
    return rows, [*by, *(alias for alias, _, _ in aggregates)]


# --------------------------------------------------------------------------- the middleware


@dataclass
class Running:
    """One started query."""

    id: str
    query: str
    groups: list[str]
    rows: list[list[tuple[str, Value]]]
    polls_left: int
    final: str
    status: str = "Scheduled"
    scanned: int = 0


@dataclass
class InsightsEvaluator:
    """WSGI middleware answering StartQuery, GetQueryResults and StopQuery; moto does the rest.

    ``polls``: how many GetQueryResults answers say ``Scheduled``/``Running`` first.
    ``final_status``: the status a query ends with (``Complete`` unless changed).
    ``calls`` records each operation answered, with its request body.
    """

    app: WsgiApp
    polls: int = 0
    final_status: str = "Complete"
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    queries: dict[str, Running] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _asked: threading.Condition = field(default_factory=threading.Condition)
    """Notified each time an operation is recorded (see :meth:`wait_for`)."""
    _next: int = 0

    def reset(self) -> None:
        """Forget queries and calls; default behaviour."""
        with self._lock:
            self.polls, self.final_status = 0, "Complete"
            self.calls.clear()
            self.queries.clear()

    def operations(self) -> list[str]:
        """The operations answered, in order."""
        with self._lock:
            return [name for name, _ in self.calls]

    def wait_for(self, operation: str, timeout: float = 30.0) -> bool:
        """Block until ``operation`` has been asked for: True, or False once ``timeout``
        seconds have passed without it (a test asserts it, so a slow machine only waits)."""
        with self._asked:
            return self._asked.wait_for(lambda: operation in self.operations(), timeout)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer the three Logs Insights operations; pass every other request to moto."""
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        prefix, _, operation = target.partition(".")
        if prefix != "Logs_20140328" or operation not in (
            "StartQuery",
            "GetQueryResults",
            "StopQuery",
        ):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b"{}"
        environ["wsgi.input"] = io.BytesIO(raw)
        body = json.loads(raw or b"{}")
        with self._lock:
            self.calls.append((operation, body))
        with self._asked:
            self._asked.notify_all()
        region = _region(str(environ.get("HTTP_AUTHORIZATION") or ""))
        try:
            if operation == "StartQuery":
                answer = self.start(body, region)
            elif operation == "GetQueryResults":
                answer = self.results(body)
            else:
                answer = self.stop(body)
        except _Refused as refused:
            return _send(start_response, "400 Bad Request", refused.answer)
        return _send(start_response, "200 OK", answer)

    def start(self, body: Mapping[str, Any], region: str) -> dict[str, Any]:
        given = [k for k in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if k in body]
        if len(given) != 1:
            raise _Refused("InvalidParameterException", "give exactly one way to name log groups")
        names = body[given[0]]
        groups = [names] if isinstance(names, str) else list(names)
        start_s, end_s = int(body["startTime"]), int(body["endTime"])
        query_text = str(body.get("queryString", ""))
        if start_s > end_s:
            raise _Refused("InvalidParameterException", "startTime is after endTime")
        if len(query_text) > 10_000:
            raise _Refused("InvalidParameterException", "queryString is too long")
        try:
            query = parse_query(query_text)
        except QueryError as exc:
            raise _Refused("MalformedQueryException", str(exc)) from None
        records = self.records(region, groups, start_s * 1000, end_s * 1000 + 999)
        try:
            rows = run(query, records)
        except QueryError as exc:
            raise _Refused("MalformedQueryException", str(exc)) from None
        with self._lock:
            self._next += 1
            query_id = f"{self._next:08x}-0000-4000-8000-{self._next:012x}"
            self.queries[query_id] = Running(
                query_id, query_text, groups, rows, self.polls, self.final_status,
                scanned=len(records),
            )  # fmt: skip
        return {"queryId": query_id}

    def records(
        self, region: str, groups: Sequence[str], start_ms: int, end_ms: int
    ) -> list[dict[str, Value]]:
        """moto's events of ``groups`` in ``[start_ms, end_ms]``, as Logs Insights records."""
        from moto.logs.models import logs_backends

        backend = logs_backends[ACCOUNT][region]
        records: list[dict[str, Value]] = []
        for given in groups:
            name = _group_name(given)
            group = backend.groups.get(name)
            if group is None:
                raise _Refused("ResourceNotFoundException", f"Log group {name} does not exist")
            for stream in group.streams.values():
                for event in stream.events:
                    if start_ms <= event.timestamp <= end_ms:
                        records.append(
                            {
                                "@timestamp": Timestamp(event.timestamp),
                                "@message": event.message,
                                "@logStream": stream.log_stream_name,
                                "@log": f"{ACCOUNT}:{name}",
                                "@ingestionTime": Timestamp(event.ingestion_time),
                                "@ptr": f"ptr-{name}-{stream.log_stream_name}-{event.event_id}",
                            }
                        )
        return records

    def results(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            running = self.queries.get(str(body.get("queryId")))
            if running is None:
                raise _Refused("ResourceNotFoundException", "no such query")
            if running.status in ("Scheduled", "Running"):
                if running.polls_left > 0:
                    running.polls_left -= 1
                    answer = {"status": running.status, "results": [], "statistics": {}}
                    running.status = "Running"
                    return answer
                running.status = running.final
            rows = running.rows if running.status == "Complete" else []
            return {
                "status": running.status,
                "results": [
                    [{"field": n, "value": shown(v)} for n, v in row if v is not None]
                    for row in rows
                ],
                "statistics": {
                    "recordsMatched": float(len(rows)),
                    "recordsScanned": float(running.scanned),
                    "bytesScanned": float(running.scanned * 100),
                },
            }

    def stop(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            running = self.queries.get(str(body.get("queryId")))
            if running is None:
                raise _Refused("ResourceNotFoundException", "no such query")
            if running.status not in ("Scheduled", "Running"):
                raise _Refused("InvalidParameterException", "the query is not running")
            running.status = "Cancelled"
        return {"success": True}


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.answer = {"__type": code, "message": message}


def _send(start_response: StartResponse, status: str, answer: Mapping[str, Any]) -> list[bytes]:
    data = json.dumps(answer).encode("utf-8")
    headers = [("Content-Type", JSON), ("Content-Length", str(len(data)))]
    if "__type" in answer:
        headers.append(("x-amzn-ErrorType", str(answer["__type"])))
    start_response(status, headers)
    return [data]


def _region(authorization: str) -> str:
    """The region of a SigV4 ``Authorization`` header's credential scope."""
    match = re.search(r"Credential=[^/]+/\d{8}/([^/]+)/", authorization)
    return match.group(1) if match else "us-east-1"


def _group_name(given: str) -> str:
    if given.startswith("arn:") and ":log-group:" in given:
        name = given.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return given


@contextmanager
def insights_emulator() -> Iterator[tuple[str, FaultInjector, InsightsEvaluator]]:
    """moto's server with :class:`InsightsEvaluator` in front, behind a fault injector.

    Yields the URL, the injector (disarmed) and the evaluator. Requests go: injector ->
    evaluator -> moto, so faults hit the Logs Insights operations too.
    """
    made: list[InsightsEvaluator] = []

    def wrap(app: WsgiApp) -> WsgiApp:
        made.append(InsightsEvaluator(app))
        return made[0]

    logger = logging.getLogger("werkzeug")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with fault_server(wrap) as (url, injector):
            yield url, injector, made[0]
    finally:
        logger.setLevel(level)
