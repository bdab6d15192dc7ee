"""Redaction (CONTRACT section 6): secrets become ``[REDACTED]``, everything else stays."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reporter.redact import BUILTIN_PATTERNS, REDACTED, Redactor, _Rule

R = REDACTED
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
DIGEST = "sha256:" + "3f2a9c" * 10 + "abcd"
PEM_BODY = "MIIEowIBAAKCAQEA7bq\nZ9x+Q2c3VwR1/abc==\n"

# (input, exactly what redaction gives): only the secret changes, byte for byte.
REDACTED_CASES: list[tuple[str, str]] = [
    # AWS access key ids, long-term and temporary
    ("key AKIAIOSFODNN7EXAMPLE used", f"key {R} used"),
    ('"AccessKeyId": "ASIAY34FZKBOKMUTVV7A",', f'"AccessKeyId": "{R}",'),
    ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", f"AWS_ACCESS_KEY_ID={R}"),
    ("(AKIAIOSFODNN7EXAMPLE)", f"({R})"),
    # an access key id with its secret key beside it (credentials CSV, key:secret)
    (f"AKIAIOSFODNN7EXAMPLE,{SECRET_KEY}\n", f"{R},{R}\n"),
    (f"AKIAIOSFODNN7EXAMPLE:{SECRET_KEY}", f"{R}:{R}"),
    # AWS secret access keys, as they appear in logs and config dumps
    (f"aws_secret_access_key={SECRET_KEY}", f"aws_secret_access_key={R}"),
    (f"aws_secret_access_key = {SECRET_KEY}\n", f"aws_secret_access_key = {R}\n"),
    (f"AWS_SECRET_ACCESS_KEY={SECRET_KEY} next", f"AWS_SECRET_ACCESS_KEY={R} next"),
    (f'export AWS_SECRET_ACCESS_KEY="{SECRET_KEY}"', f'export AWS_SECRET_ACCESS_KEY="{R}"'),
    (f'{{"SecretAccessKey": "{SECRET_KEY}", "x": 1}}', f'{{"SecretAccessKey": "{R}", "x": 1}}'),
    (f'{{"SecretAccessKey":"{SECRET_KEY}"}}', f'{{"SecretAccessKey":"{R}"}}'),
    (f"{{'SecretAccessKey': '{SECRET_KEY}'}}", f"{{'SecretAccessKey': '{R}'}}"),
    (f"secretAccessKey: {SECRET_KEY}", f"secretAccessKey: {R}"),
    (f"--secret-access-key={SECRET_KEY}", f"--secret-access-key={R}"),
    ('"SessionToken": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVz"', f'"SessionToken": "{R}"'),
    ("aws_session_token=FwoGZXIvYXdzEBYaDH", f"aws_session_token={R}"),
    ("x-amz-security-token: FwoGZXIvYXdzEBYaDH", f"x-amz-security-token: {R}"),
    # Authorization headers and bearer tokens (the scheme stays)
    ("Authorization: Bearer abc.def-ghi", f"Authorization: Bearer {R}"),
    ("authorization: Basic dXNlcjpwYXNzd29yZA==", f"authorization: Basic {R}"),
    ("Proxy-Authorization: Basic dXNlcjpwYXNz", f"Proxy-Authorization: Basic {R}"),
    ("AUTHORIZATION:Bearer x", f"AUTHORIZATION:Bearer {R}"),
    ("Authorization: 0123456789abcdef", f"Authorization: {R}"),
    (
        "{'Authorization': 'Bearer abc123', 'Host': 'api'}",
        f"{{'Authorization': 'Bearer {R}', 'Host': 'api'}}",
    ),
    (
        '"headers": {"Authorization": "token ghp_16C7e42F"}',
        f'"headers": {{"Authorization": "token {R}"}}',
    ),
    (f"Authorization: Bearer {JWT}", f"Authorization: Bearer {R}"),
    ("sent Bearer abcdef123456 upstream", f"sent Bearer {R} upstream"),
    ("bearer 0a1b2c3d4e5f6a7b8c9d==;", f"bearer {R};"),
    ("BEARER ABCDEFGHIJKLMNOPQRSTUVWXYZ", f"BEARER {R}"),
    # JSON Web Tokens
    (f"token {JWT} end", f"token {R} end"),
    (f"jwt={JWT}", f"jwt={R}"),
    (f"[{JWT}]", f"[{R}]"),
    # passwords in URLs (the user stays)
    ("postgres://app:s3cr3t@db.internal:5432/app", f"postgres://app:{R}@db.internal:5432/app"),
    ("redis://:hunter2@cache:6379/0", f"redis://:{R}@cache:6379/0"),
    ("https://user:p@ss@host.example/x", f"https://user:{R}@host.example/x"),
    (
        '"DATABASE_URL": "mysql://root:pw@localhost"',
        f'"DATABASE_URL": "mysql://root:{R}@localhost"',
    ),
    ("amqp://guest:guest@rabbit", f"amqp://guest:{R}@rabbit"),
    # PEM private-key blocks (the BEGIN and END lines stay)
    (
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}-----END RSA PRIVATE KEY-----\nafter",
        f"-----BEGIN RSA PRIVATE KEY-----{R}-----END RSA PRIVATE KEY-----\nafter",
    ),
    (
        f"-----BEGIN PRIVATE KEY-----{PEM_BODY}-----END PRIVATE KEY-----",
        f"-----BEGIN PRIVATE KEY-----{R}-----END PRIVATE KEY-----",
    ),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaA\\n-----END OPENSSH PRIVATE KEY-----\\n",
        f"-----BEGIN OPENSSH PRIVATE KEY-----{R}-----END OPENSSH PRIVATE KEY-----\\n",
    ),
    (
        "-----BEGIN ENCRYPTED PRIVATE KEY-----x-----END ENCRYPTED PRIVATE KEY-----",
        f"-----BEGIN ENCRYPTED PRIVATE KEY-----{R}-----END ENCRYPTED PRIVATE KEY-----",
    ),
    (
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOY\n-----END PGP PRIVATE KEY BLOCK-----",
        f"-----BEGIN PGP PRIVATE KEY BLOCK-----{R}-----END PGP PRIVATE KEY BLOCK-----",
    ),
    # no END line: everything after BEGIN may be key material
    (f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}", f"-----BEGIN EC PRIVATE KEY-----{R}"),
    (
        "-----BEGIN PRIVATE KEY-----a-----END PRIVATE KEY----- -----BEGIN PRIVATE KEY-----b"
        "-----END PRIVATE KEY-----",
        f"-----BEGIN PRIVATE KEY-----{R}-----END PRIVATE KEY----- -----BEGIN PRIVATE KEY-----{R}"
        "-----END PRIVATE KEY-----",
    ),
    # values named as secrets
    ("password=hunter2 user=bob", f"password={R} user=bob"),
    ('DB_PASSWORD: "correct horse battery staple"', f'DB_PASSWORD: "{R}"'),
    ('{"password":"pa ss","user":"bob"}', f'{{"password":"{R}","user":"bob"}}'),
    ("User{name=bob, password=secret123}", f"User{{name=bob, password={R}}}"),
    (
        "client_secret=abc&grant_type=client_credentials",
        f"client_secret={R}&grant_type=client_credentials",
    ),
    ("api_key: 1234abcd", f"api_key: {R}"),
    ("X-Api-Key: abcd1234", f"X-Api-Key: {R}"),
    ("passwd => 'pw'", f"passwd => '{R}'"),
    ("Passphrase=open-sesame now", f"Passphrase={R} now"),
    ("private_key=abc", f"private_key={R}"),
    ("GITHUB_TOKEN=ghp_abc123", f"GITHUB_TOKEN={R}"),
    ('"authorizationToken": "QVdTOmV5SndZWGxzYjJG"', f'"authorizationToken": "{R}"'),
    # JSON inside a JSON string: the escaped quotes stay
    ('{\\"password\\": \\"hunter 2\\"}', f'{{\\"password\\": \\"{R}\\"}}'),
    ('"msg": "token=\\"abc\\" ok"', f'"msg": "token=\\"{R}\\" ok"'),
    # cookies
    ("Cookie: session=abc; theme=dark", f"Cookie: {R}"),
    ("Set-Cookie: sid=xyz; Path=/; HttpOnly\nnext line", f"Set-Cookie: {R}\nnext line"),
    # several secrets in one line
    (
        f"AKIAIOSFODNN7EXAMPLE password=x Authorization: Bearer y {JWT}",
        f"{R} password={R} Authorization: Bearer {R} {R}",
    ),
]

# Ordinary log lines and evidence: nothing in them is a secret.
KEPT_CASES: list[str] = [
    "commit 0123456789abcdef0123456789abcdef01234567",
    "deployed abc1234 (HEAD -> main, origin/main)",
    DIGEST,
    f'"imageDigest": "{DIGEST}"',
    f"298717586028.dkr.ecr.us-east-1.amazonaws.com/content-marketing-swarm-backend@{DIGEST}",
    "arn:aws:ecs:us-east-1:298717586028:task/content-marketing-swarm-dev-cluster/"
    "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "taskId=0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "WebSocket client connected: cfeb53e0-c5c9-4b99-a5c0-81196b6df540",
    "2025-11-26T10:49:43 - Parsing final buffered content: length=18786, platform='linkedin'",
    "2025-11-26T10:48:36.123+00:00 Streaming generation request: CraftyAI: Physical AI Demo...",
    "Requested platforms: ['linkedin', 'twitter', 'pitch_deck']",
    "requested_platforms=['linkedin', 'twitter', 'pitch_deck']",
    "item #1: platform='linkedin'",
    "Found 3 platform sections in markdown",
    "password reset email sent",
    "Password must be at least 12 characters",
    '"PasswordLastUsed": "2025-11-20T10:00:00Z"',
    "password_reset_url=https://example.com/reset",
    "invalid bearer token",
    "Bearer authentication failed",
    "token expired, refreshing",
    "The security token included in the request is expired",
    "max_tokens=4096 input_tokens: 12 tokenizer=cl100k",
    "secretName=db-creds",
    "AWS Secrets Manager: GetSecretValue succeeded",
    "authorization failed for user bob",
    "Authorization header missing",
    "https://example.com:8443/path?x=1&y=2",
    "https://user@example.com/",
    "ssh://git@github.com:22/org/repo.git",
    "git@github.com:org/repo.git",
    "http://[::1]:8080/health",
    "mailto:someone@example.com",
    "AKIAIOSFODNN7EXAMPL is too short",
    "eyJhbGciOiJIUzI1NiJ9 alone is only a header",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----",
    '?"Requested platforms" ?"requested_platforms="',
    "password=",
    'password=""',
    "cookies=3",
    R,
    f"password={R} and {R}",
    "",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED_CASES)
def test_secrets_are_redacted(text: str, expected: str) -> None:
    assert Redactor()(text) == expected


@pytest.mark.parametrize("text", KEPT_CASES)
def test_ordinary_text_is_kept(text: str) -> None:
    assert Redactor()(text) == text


@pytest.mark.parametrize(
    "text", [text for text, _ in REDACTED_CASES] + KEPT_CASES, ids=lambda t: t[:30]
)
def test_redacting_twice_is_redacting_once(text: str) -> None:
    redact = Redactor()
    assert redact(redact(text)) == redact(text)


def test_secrets_inside_long_text_keep_the_rest() -> None:
    before = "x" * 5000 + " "
    after = " " + "y" * 5000
    assert Redactor()(before + "password=hunter2" + after) == before + f"password={R}" + after


# --------------------------------------------------------------------------- author patterns


def test_extra_patterns_replace_the_whole_match() -> None:
    redact = Redactor(["session=[0-9a-f]{32}", r"INTERNAL-\d+"])
    assert redact.extra == ("session=[0-9a-f]{32}", r"INTERNAL-\d+")
    text = "login session=" + "ab" * 16 + " for INTERNAL-42, session=short"
    assert redact(text) == f"login {R} for {R}, session=short"


def test_extra_patterns_may_name_the_secret_group() -> None:
    redact = Redactor([r"ticket (?P<secret>[A-Z]{3}-\d+)", r"(?P<secret_a>\d+)/(?P<secret_b>\d+)"])
    assert redact("ticket ABC-123 and 12/34!") == f"ticket {R} and {R}/{R}!"


def test_extra_patterns_never_touch_redacted_markers() -> None:
    redact = Redactor([r"[A-Z]{4,}", r"\]"])
    once = redact("password=hunter2 and SHOUT")
    assert once == f"password={R} and {R}"
    assert redact(once) == once


def test_extra_patterns_matching_empty_text_change_nothing() -> None:
    assert Redactor([r"(?=x)", r"\b"])("a x b") == "a x b"


def test_extra_patterns_are_case_sensitive_unless_they_say_so() -> None:
    assert Redactor(["Secret-[0-9]+"])("secret-1 Secret-2") == f"secret-1 {R}"
    assert Redactor(["(?i)secret-[0-9]+"])("secret-1 Secret-2") == f"{R} {R}"


def test_an_invalid_extra_pattern_is_an_error() -> None:
    with pytest.raises(re.error):
        Redactor(["(unclosed"])


def test_default_redactor_has_no_extra_patterns() -> None:
    assert Redactor().extra == ()


# --------------------------------------------------------------------------- the patterns


def test_builtin_patterns_compile_on_their_own() -> None:
    for pattern in BUILTIN_PATTERNS:
        assert re.compile(pattern).search("nothing secret here") is None


_FRAGMENTS = st.sampled_from(
    [
        "password",
        "PassWord",
        "Token",
        "SECRET_ACCESS_KEY",
        "authorization",
        "Authorization",
        "BEARER",
        "bearer",
        "Cookie",
        "set-cookie",
        "api-key",
        "=",
        ":",
        " ",
        "\t",
        "\n",
        '"',
        "'",
        "\\",
        "=>",
        ",",
        ";",
        "&",
        "{",
        "}",
        "[",
        "]",
        "@",
        "/",
        "://",
        "abc",
        "ABC",
        "0123456789",
        "hunter2",
        "AKIAIOSFODNN7EXAMPLE",
        "ASIAY34FZKBOKMUTVV7A",
        SECRET_KEY,
        JWT,
        "eyJhbGciOi",
        ".",
        "-----BEGIN PRIVATE KEY-----",
        "-----END PRIVATE KEY-----",
        "-----BEGIN RSA PRIVATE KEY-----",
        R,
        "[REDACTED",
        "İ",
        "ß",
        "é",
    ]
)
_MESSY_TEXT = st.lists(_FRAGMENTS | st.text(max_size=5), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(_MESSY_TEXT, st.lists(st.sampled_from([r"[A-Z]{4,}", r"\]", r"a(?P<secret>b+)"])))
def test_redaction_is_idempotent(text: str, extra: list[str]) -> None:
    redact = Redactor(extra)
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=200, deadline=None)
@given(_MESSY_TEXT)
def test_lower_cased_matching_equals_ignorecase(text: str) -> None:
    """The built-in case-insensitive patterns run over a lower-cased copy: same matches."""
    for pattern in BUILTIN_PATTERNS:
        assert _Rule(pattern, builtin=True).apply(text) == _Rule(pattern).apply(text)


_SECRETS = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=127),
    min_size=6,
    max_size=40,
)
# (a secret's surroundings, whether the text after it stays): a cookie header's value
# and an unknown Authorization value run on past the secret.
_SHAPES = st.sampled_from(
    [
        ("password={}", True),
        ('password: "{}"', True),
        ("'token': '{}'", True),
        ("AWS_SECRET_ACCESS_KEY={}", True),
        ('"SecretAccessKey":"{}"', True),
        ("Authorization: Bearer {}", True),
        ("https://user:{}@host/x", True),
        ("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----", True),
        ("-----BEGIN PRIVATE KEY-----\n{}", False),
        ("Authorization: {}", False),
        ("Cookie: sid={}", False),
    ]
)
_NOISE = st.text(alphabet=" ,;.\n\t-", max_size=20)


@settings(max_examples=300, deadline=None)
@given(_SHAPES, _SECRETS, _NOISE, _NOISE)
def test_a_named_secret_never_survives(
    shape: tuple[str, bool], secret: str, before: str, after: str
) -> None:
    template, keeps_after = shape
    text = f"{before} {template.format(secret)} {after}"
    redacted = Redactor()(text)
    assert secret not in redacted
    assert redacted.startswith(f"{before} ")
    if keeps_after:
        assert redacted.endswith(f" {after}")


# --------------------------------------------------------------------------- linear time

SMALL = 2**16
"""Input of the small run; the large run is FACTOR times longer."""
FACTOR = 8
LINEAR_BOUND = 3 * FACTOR
"""Time may grow by at most this when the input grows FACTOR times (quadratic: FACTOR**2,
64). A ratio of two runs on the same machine, each the fastest of five, so a busy machine
slows both and the ratio stands; no absolute time is asserted (speed is ``make bench``'s).
"""

ADVERSARIAL: dict[str, Callable[[int], str]] = {
    "plain": lambda n: "a" * n,
    "key id prefixes": lambda n: "AKIA" * (n // 4),
    "endless bearer": lambda n: "Bearer " + "x" * n,
    "pem without end": lambda n: "-----BEGIN PRIVATE KEY-----" + "A" * n,
    "url without at": lambda n: "://" + "a:" * (n // 2),
    "many urls": lambda n: "://a:" * (n // 5),
    "at signs": lambda n: "://a:" + "@" * n,
    "jwt starts": lambda n: "eyJ-" * (n // 4),
    "jwt header only": lambda n: "eyJ" + "a" * n,
    "jwt segments": lambda n: "eyJaaaaa." * (n // 9),
    "open quotes": lambda n: 'password="' * (n // 10),
    "dense secrets": lambda n: "password=a " * (n // 11),
    "headers without value": lambda n: "Authorization: " * (n // 15),
    "header then spaces": lambda n: "authorization:" + " " * n,
    "name then spaces": lambda n: "token:" + " " * n,
    "begin words": lambda n: "-----BEGIN " + "A " * (n // 2),
    "begin repeated": lambda n: "-----BEGIN PRIVATE KEY" * (n // 22),
    "underscores": lambda n: "a_" * (n // 2),
    "bearers": lambda n: "Bearer " * (n // 7),
    "cookies": lambda n: "cookie: " * (n // 8),
    "spaces": lambda n: " " * n,
    "newlines": lambda n: "\n" * n,
    "backslashes": lambda n: "\\" * n,
    "escaped quote value": lambda n: 'token:\\"' + "\\" * n,
    "key id pairs": lambda n: ("AKIAIOSFODNN7EXAMPLE " + "a" * 39 + " ") * (n // 61),
    "non ascii": lambda n: "İ password" * (n // 11),
}


def _fastest(redact: Redactor, text: str) -> float:
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        redact(text)
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_redaction_time_grows_linearly_with_the_input(name: str) -> None:
    make = ADVERSARIAL[name]
    redact = Redactor()
    small = _fastest(redact, make(SMALL))
    large = _fastest(redact, make(SMALL * FACTOR))
    ratio = large / max(small, 1e-4)
    assert ratio < LINEAR_BOUND, f"{name}: {FACTOR}x the input took {ratio:.1f}x the time"
