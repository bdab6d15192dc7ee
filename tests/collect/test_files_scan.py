"""The multi-literal scanner: every engine keeps the promise the pure-Python one keeps."""

from __future__ import annotations

import threading

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reporter.collect.scan import ENGINES, EngineUnavailable, LineRules, Matcher


def lines_hit(
    data: bytes, needles: list[bytes], found: list[tuple[int, int]]
) -> set[tuple[int, int]]:
    """(line number, needle index) for each reported occurrence, checked to be real."""
    out = set()
    for end, index in found:
        needle = needles[index]
        assert data[end - len(needle) : end] == needle
        out.add((data.count(b"\n", 0, end), index))
    return out


def expected(data: bytes, needles: list[bytes]) -> set[tuple[int, int]]:
    return {
        (n, i)
        for n, line in enumerate(data.split(b"\n"))
        for i, needle in enumerate(needles)
        if needle in line
    }


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=200, deadline=None)
@example(needles=[b"\xff"], pieces=[b"\xff"])
@given(
    st.lists(
        st.binary(min_size=1, max_size=4).filter(lambda b: b"\n" not in b), min_size=1, max_size=6
    ),
    st.lists(st.sampled_from([b"ab", b"b", b"\n", b"\x00", b"abc", b"x", b"\xff"]), max_size=80),
)
def test_every_engine_finds_every_text_of_every_line(
    engine: str, needles: list[bytes], pieces: list[bytes]
) -> None:
    data = b"".join(pieces)
    matcher = Matcher(needles, engine=engine)
    assert matcher.engine == engine
    found = matcher.find(data)
    assert found == sorted(found)
    assert lines_hit(data, needles, found) == expected(data, needles)


def test_overlapping_texts_are_all_found() -> None:
    needles = [b"platform='linkedin'", b", platform=", b"linked"]
    data = b"item, platform='linkedin'\nother\n"
    for engine in ENGINES:
        found = Matcher(needles, engine=engine).find(data)
        assert {i for _, i in found} == {0, 1, 2}, engine


def test_the_default_engine_is_the_fastest_installed() -> None:
    assert Matcher([b"x"]).engine == "hyperscan"


def test_an_engine_that_is_asked_for_and_unknown_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPORTER_SCANNER", "nonesuch")
    with pytest.raises(EngineUnavailable):
        Matcher([b"x"])
    monkeypatch.setenv("REPORTER_SCANNER", "python")
    assert Matcher([b"x"]).engine == "python"


def test_no_needles_find_nothing() -> None:
    assert Matcher([]).find(b"anything\n") == []


def test_a_needle_with_a_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="newline"):
        Matcher([b"a\nb"])


@pytest.mark.parametrize("engine", ENGINES)
def test_one_matcher_scans_from_several_threads(engine: str) -> None:
    matcher = Matcher([b"needle", b"other"], engine=engine)
    data = b"hay needle hay\n" * 20_000 + b"other\n"
    results: list[int] = []

    def scan() -> None:
        results.append(len(matcher.find(data)))

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert results[0] >= 20_001


# --------------------------------------------------------------------------- line rules


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.binary(min_size=1, max_size=4).filter(lambda b: b"\n" not in b), min_size=0, max_size=4
    ),
    st.lists(
        st.sampled_from([b"ab", b"b", b"\n", b" ", b"\t", b"\r", b"\r\n", b"x", b"#", b"\xff"]),
        max_size=80,
    ),
)
def test_line_rules_find_the_texts_the_continuation_lines_and_the_flagged_lines(
    needles: list[bytes], pieces: list[bytes]
) -> None:
    data = b"\n" + b"".join(pieces) + b"\n"
    rules = LineRules(needles, [rb"\n#"])  # flagged: the lines that start with "#"
    scan = rules.scan(data)
    assert lines_hit(data, needles, scan.hits) == expected(data, needles)
    assert scan.hits == sorted(scan.hits)
    starts = [i + 1 for i in range(len(data) - 1) if data[i] == 10]  # every line's start
    lines = {s: data[s : data.index(b"\n", s)] for s in starts}
    assert scan.continued == [
        s for s, line in lines.items() if line[:1] in (b" ", b"\t") or line in (b"", b"\r")
    ]
    assert [data.rfind(b"\n", 0, end - 1) + 1 for end in scan.flagged] == [
        s for s, line in lines.items() if line.startswith(b"#")
    ]


def test_line_rules_refuse_what_hyperscan_refuses() -> None:
    with pytest.raises(EngineUnavailable):
        LineRules([b"x"], [rb"\n(?=a)"])  # lookaround: not Hyperscan
    with pytest.raises(ValueError, match="newline"):
        LineRules([b"a\nb"], [])
