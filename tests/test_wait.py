"""``--wait``: rounds until VERIFIED or the time is up (reporter/wait.py and the CLI).

The loop is driven by the test: a clock and a pause it controls, or a hook between
rounds, or a layer in front of the emulator that completes a deploy on a given call.
Nothing here depends on how fast the machine is.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reporter.cli import main
from reporter.collect.aws import AwsClients, AwsOptions
from reporter.demo.registry_layer import moto_app, serve
from reporter.demo.seed import seed_incident
from reporter.errors import Cancelled, InputError
from reporter.model import Bundle, Verdict
from reporter.pipeline import build_bundle, collect
from reporter.spec import load_spec
from reporter.wait import (
    DEFAULT_INTERVAL,
    Round,
    WaitPolicy,
    format_duration,
    missing_line,
    parse_duration,
    round_line,
    wait_for_verified,
    wait_policy,
)
from tests.deploy import (
    EXPECTED,
    NOW,
    SPEC,
    DeployOnCall,
    before_deploy,
    complete_deploy,
)

# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("1h30m", 5400),
        ("1h30m15s", 5415),
        ("2h", 7200),
        ("90", 90),
        ("0.5s", 0.5),
        ("0", 0),
        (" 15M ", 900),
        ("1m0.25s", 60.25),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "s", "-5", "5x", "1d", "m15", "15m1h", "1.5.2s", "inf", "nan", "1e3", "169h"]
)
def test_bad_durations_are_bad_input(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_duration(text, "--wait")
    assert caught.value.where == "--wait"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (0.5, "0.5s"), (45, "45s"), (90, "1m30s"), (900, "15m"), (3900, "1h5m")],
)
def test_durations_shown(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_wait_policy_from_the_options() -> None:
    assert wait_policy(None, None) is None
    assert wait_policy("15m", None) == WaitPolicy(900, DEFAULT_INTERVAL)
    assert wait_policy("15m", "1m") == WaitPolicy(900, 60)
    with pytest.raises(InputError, match="needs --wait"):
        wait_policy(None, "30s")
    with pytest.raises(InputError, match="more than 0"):
        wait_policy("15m", "0s")


# --------------------------------------------------------------------------- the loop


@pytest.fixture(scope="module")
def bundles() -> dict[Verdict, Bundle]:
    """A bundle of each report verdict (the loop reads only the verdict)."""
    from tests.render.conftest import make_not_deployed

    made = make_not_deployed()
    return {v: made.model_copy(update={"verdict": v}) for v in Verdict}


class FakeTime:
    """A monotonic clock that only the pauses and the rounds move."""

    def __init__(self, round_takes: float = 0.0) -> None:
        self.now = 1000.0
        self.round_takes = round_takes
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.pauses.append(seconds)
        self.now += seconds


def test_rounds_every_interval_until_the_time_is_up(bundles: dict[Verdict, Bundle]) -> None:
    fake = FakeTime(round_takes=2.0)
    starts: list[float] = []
    seen: list[Round] = []

    def one_round(now: datetime) -> Bundle:
        starts.append(fake.now)
        fake.now += fake.round_takes
        return bundles[Verdict.NOT_DEPLOYED]

    last = wait_for_verified(
        one_round,
        WaitPolicy(duration=90, interval=30),
        now=datetime(2025, 11, 26, tzinfo=UTC),
        on_round=seen.append,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert last.verdict is Verdict.NOT_DEPLOYED
    assert [s - 1000 for s in starts] == [0, 30, 60, 90]
    assert [r.number for r in seen] == [1, 2, 3, 4]
    assert [r.last for r in seen] == [False, False, False, True]
    assert seen[-1].elapsed == 92
    assert "time is up" in round_line(seen[-1])
    assert "next round in 30s" in round_line(seen[0])


def test_stops_at_the_first_verified_round(bundles: dict[Verdict, Bundle]) -> None:
    fake = FakeTime()
    verdicts = iter([Verdict.INCONCLUSIVE, Verdict.PARTIAL, Verdict.VERIFIED, Verdict.PARTIAL])
    seen: list[Round] = []
    hooks: list[int] = []
    last = wait_for_verified(
        lambda now: bundles[next(verdicts)],
        WaitPolicy(duration=3600, interval=10),
        on_round=seen.append,
        between_rounds=hooks.append,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert last.verdict is Verdict.VERIFIED
    assert [r.number for r in seen] == [1, 2, 3]
    assert hooks == [2, 3]
    assert fake.pauses == [10, 10]
    assert round_line(seen[-1]).endswith(": VERIFIED")


def test_a_round_longer_than_the_interval_is_followed_at_once(
    bundles: dict[Verdict, Bundle],
) -> None:
    fake = FakeTime(round_takes=45)

    def one_round(now: datetime) -> Bundle:
        fake.now += fake.round_takes
        return bundles[Verdict.INCONCLUSIVE]

    seen: list[Round] = []
    wait_for_verified(
        one_round,
        WaitPolicy(duration=100, interval=30),
        on_round=seen.append,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert fake.pauses == []
    assert len(seen) == 3  # ends at 45, 90, 135: the third ends past the deadline


def test_the_last_round_starts_at_the_deadline(bundles: dict[Verdict, Bundle]) -> None:
    fake = FakeTime()
    starts: list[float] = []

    def one_round(now: datetime) -> Bundle:
        starts.append(fake.now - 1000)
        return bundles[Verdict.NOT_DEPLOYED]

    wait_for_verified(
        one_round, WaitPolicy(duration=50, interval=30), clock=fake.clock, sleep=fake.sleep
    )
    assert starts == [0, 30, 50]


def test_a_zero_wait_is_one_round(bundles: dict[Verdict, Bundle]) -> None:
    fake = FakeTime()
    seen: list[Round] = []
    wait_for_verified(
        lambda now: bundles[Verdict.NOT_DEPLOYED],
        WaitPolicy(duration=0, interval=30),
        on_round=seen.append,
        clock=fake.clock,
        sleep=fake.sleep,
    )
    assert [r.last for r in seen] == [True]


def test_each_round_is_now_unless_now_is_fixed(bundles: dict[Verdict, Bundle]) -> None:
    times = iter(datetime(2025, 11, 26, 10, m, tzinfo=UTC) for m in range(10))
    nows: list[datetime] = []

    def one_round(now: datetime) -> Bundle:
        nows.append(now)
        return bundles[Verdict.NOT_DEPLOYED]

    fake = FakeTime()
    policy = WaitPolicy(duration=60, interval=30)
    wait_for_verified(
        one_round, policy, current_time=lambda: next(times), clock=fake.clock, sleep=fake.sleep
    )
    assert [n.minute for n in nows] == [0, 1, 2]
    nows.clear()
    fixed = datetime(2025, 11, 26, 10, 50, tzinfo=UTC)
    fake = FakeTime()
    wait_for_verified(one_round, policy, now=fixed, clock=fake.clock, sleep=fake.sleep)
    assert nows == [fixed, fixed, fixed]


def test_a_set_cancel_ends_the_pause_with_cancelled(bundles: dict[Verdict, Bundle]) -> None:
    import threading

    cancel = threading.Event()

    def one_round(now: datetime) -> Bundle:
        cancel.set()  # as Ctrl-C in the CLI would, while the round runs
        return bundles[Verdict.NOT_DEPLOYED]

    with pytest.raises(Cancelled):
        wait_for_verified(one_round, WaitPolicy(duration=3600, interval=3600), cancel=cancel)


# --------------------------------------------------------------------------- on the emulator


@pytest.fixture
def deploying(
    aws: AwsClients, aws_options: AwsOptions, monkeypatch: pytest.MonkeyPatch
) -> AwsClients:
    """The seeded incident, its tasks still on the previous image; credentials set."""
    seed_incident(aws)
    before_deploy(aws)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return aws


def _spec(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "hotfix.toml"
    path.write_text(SPEC.format(endpoint=endpoint), encoding="utf-8")
    return path


def test_a_deploy_completing_between_rounds_ends_verified(
    tmp_path: Path, deploying: AwsClients, aws_options: AwsOptions
) -> None:
    assert aws_options.endpoint_url is not None
    loaded = load_spec(_spec(tmp_path, aws_options.endpoint_url))
    at = datetime.fromisoformat(NOW)

    def one_round(now: datetime) -> Bundle:
        return build_bundle(loaded, collect(loaded, now, aws_options))

    seen: list[Round] = []
    last = wait_for_verified(
        one_round,
        WaitPolicy(duration=3600, interval=0.01),
        now=at,
        on_round=seen.append,
        between_rounds=lambda n: complete_deploy(deploying),
    )
    assert [r.bundle.verdict for r in seen] == [Verdict.NOT_DEPLOYED, Verdict.VERIFIED]
    assert last is seen[-1].bundle
    first = missing_line(seen[0].bundle)
    assert first.startswith("0/1 hotfix deployed; waiting for ")
    assert f"{EXPECTED!r} in the logs" in first
    assert "the service's tasks to run the image" in first
    assert round_line(seen[1]).endswith("1/1 hotfix deployed: VERIFIED")


@pytest.fixture
def deploy_server(deploying: AwsClients) -> Iterator[tuple[str, DeployOnCall]]:
    """moto behind a layer that completes the deploy on the second DescribeServices: the
    first call of the second round."""
    layer = DeployOnCall(moto_app(), "DescribeServices", 2, lambda: complete_deploy(deploying))
    with serve(layer, name="deploy-layer") as url:
        yield url, layer


def test_verify_wait_exits_0_once_the_deploy_completes(
    tmp_path: Path,
    deploy_server: tuple[str, DeployOnCall],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, layer = deploy_server
    out_dir = tmp_path / "reports"
    written_before: list[bool] = []
    action = layer.action

    def noting_then_deploying() -> None:
        written_before.append(out_dir.exists())
        action()

    layer.action = noting_then_deploying
    spec = _spec(tmp_path, url)
    code = main(
        [
            "verify", str(spec), "--wait", "1h", "--interval", "0.01", "--now", NOW,
            "-f", "json", "-f", "md", "-o", str(out_dir),
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert written_before == [False]  # nothing was written after the first round
    rounds = err.splitlines()
    assert 2 <= len(rounds) <= 3  # the round that completes the deploy may miss the logs
    assert all(line.startswith("reporter: round ") for line in rounds)
    assert f"waiting for {EXPECTED!r} in the logs" in rounds[0]
    assert rounds[-1].endswith("1/1 hotfix deployed: VERIFIED")
    assert sorted(p.name for p in out_dir.iterdir()) == ["hotfix.json", "hotfix.md"]
    assert json.loads((out_dir / "hotfix.json").read_text(encoding="utf-8"))["verdict"] == (
        "VERIFIED"
    )
    assert "Verdict: VERIFIED (exit 0)" in out


@pytest.mark.parametrize(
    ("group", "verdict", "exit_code"),
    [("/ecs/content-marketing-swarm-dev", "NOT_DEPLOYED", 1), ("/ecs/missing", "INCONCLUSIVE", 3)],
)
def test_a_wait_that_never_gets_there_exits_by_the_last_verdict(
    tmp_path: Path,
    deploying: AwsClients,
    aws_options: AwsOptions,
    capsys: pytest.CaptureFixture[str],
    group: str,
    verdict: str,
    exit_code: int,
) -> None:
    assert aws_options.endpoint_url is not None
    if verdict == "INCONCLUSIVE":
        complete_deploy(deploying)  # the tasks run the image; the logs cannot be read
    spec = _spec(tmp_path, aws_options.endpoint_url)
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            '"/ecs/content-marketing-swarm-dev"', f'"{group}"'
        ),
        encoding="utf-8",
    )
    bundle = tmp_path / "out" / "bundle.json"
    code = main(
        ["collect", str(spec), "-o", str(bundle), "--wait", "0.2s", "--interval", "0.05s",
         "--now", NOW]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == exit_code, out + err
    rounds = err.splitlines()
    assert rounds, err
    assert rounds[-1].startswith("reporter: round ")
    assert rounds[-1].endswith("time is up")
    assert all("next round in 0.1s" in line for line in rounds[:-1])
    assert json.loads(bundle.read_text(encoding="utf-8"))["verdict"] == verdict
    assert list(bundle.parent.iterdir()) == [bundle]


def test_quiet_prints_no_round_lines(
    tmp_path: Path,
    deploying: AwsClients,
    aws_options: AwsOptions,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert aws_options.endpoint_url is not None
    spec = _spec(tmp_path, aws_options.endpoint_url)
    code = main(
        ["verify", str(spec), "-q", "--wait", "0.1s", "--interval", "0.05", "--now", NOW,
         "-f", "json", "-o", str(tmp_path)]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert (code, err) == (1, "")
    assert "Verdict: NOT_DEPLOYED (exit 1)" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--wait", "5x"], "--wait: not a duration: '5x'"),
        (["--wait", "-1"], "--wait: not a duration"),
        (["--wait", "1000h"], "--wait: '1000h' is more than a week"),
        (["--wait", "1m", "--interval", "0"], "--interval: must be more than 0"),
        (["--wait", "1m", "--interval", "soon"], "--interval: not a duration"),
        (["--interval", "30s"], "--interval: needs --wait"),
    ],
)
@pytest.mark.parametrize("command", ["verify", "collect"])
def test_bad_wait_values_are_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    args: list[str],
    fragment: str,
) -> None:
    spec = _spec(tmp_path, "http://127.0.0.1:9")
    extra = ["-o", str(tmp_path / "b.json")] if command == "collect" else []
    code = main([command, str(spec), *extra, *args])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"reporter: error: {fragment}" + err.split(fragment, 1)[1]
    assert err.count("\n") == 1


def test_the_round_line_names_what_each_failed_check_waits_for(
    bundles: dict[Verdict, Bundle],
) -> None:
    bundle = bundles[Verdict.NOT_DEPLOYED]
    line = missing_line(bundle)
    deployed = sum(h.verdict.value == "DEPLOYED" for h in bundle.hotfixes)
    assert line.startswith(f"{deployed}/{len(bundle.hotfixes)} hotfixes deployed; waiting for ")
    assert line.count(" and ") <= 1
    done = Round(
        number=3,
        bundle=bundle,
        elapsed=timedelta(minutes=1, seconds=30).total_seconds(),
        policy=WaitPolicy(900, 30),
        last=False,
    )
    assert round_line(done).startswith("round 3 (1m30s of 15m): ")
    assert round_line(done).endswith("; next round in 30s")
