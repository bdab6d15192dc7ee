"""The config blob GET (:class:`BlobFetcher`): what it fetches, sends, refuses, and how it fails.

Real servers on 127.0.0.1 answer it: a raw HTTP origin whose behaviour each test picks
(answer, redirect, stall, drop, oversize), the same origin over TLS with a certificate
from a test CA, and a CONNECT proxy in front of it. Each records what it received.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reporter.collect.image_config import BlobError, BlobFetcher
from reporter.errors import Cancelled

BODY = b'{"config": {"Labels": {"org.opencontainers.image.revision": "1a2b3c4"}}}'
QUERY = "X-Amz-Expires=3600&X-Amz-Credential=ASIAEXAMPLE%2F20251126&X-Amz-Signature=5ec12e7"
Behaviour = Callable[[socket.socket, bytes], None]


# --------------------------------------------------------------------------- servers


def answer(status: str = "200 OK", body: bytes = BODY, headers: tuple[str, ...] = ()) -> Behaviour:
    def behave(conn: socket.socket, head: bytes) -> None:
        lines = [f"HTTP/1.1 {status}", *headers]
        if not any(h.lower().startswith(("content-length", "transfer-encoding")) for h in headers):
            lines.append(f"Content-Length: {len(body)}")
        conn.sendall(("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n").encode() + body)

    return behave


class Origin:
    """A raw HTTP(S) server: records each request's head, answers with ``behave``."""

    def __init__(self, behave: Behaviour, tls: ssl.SSLContext | None = None) -> None:
        self.behave = behave
        self.tls = tls
        self.heads: list[bytes] = []
        self.connections = 0
        self.stop = threading.Event()
        self.got_request = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def url(self, path: str = "/6b2a-298717586028/sha256:abc", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}?{QUERY}"

    def __enter__(self) -> Origin:
        thread = threading.Thread(target=self._serve, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in list(self._threads):
            thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                head += chunk
            self.heads.append(head)
            self.got_request.set()
            self.behave(conn, head)
        except OSError:
            pass
        finally:
            conn.close()


@pytest.fixture
def origin_factory() -> Iterator[Callable[..., Origin]]:
    started: list[Origin] = []

    def start(behave: Behaviour, tls: ssl.SSLContext | None = None) -> Origin:
        origin = Origin(behave, tls).__enter__()
        started.append(origin)
        return origin

    yield start
    for origin in started:
        origin.__exit__()


def fetcher(origin: Origin, **options: object) -> BlobFetcher:
    """A fetcher whose endpoint is the plain-HTTP origin (the emulator case), no backoff waits."""
    defaults: dict[str, object] = {
        "endpoint_url": f"http://127.0.0.1:{origin.port}",
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "max_attempts": 3,
        "sleep": lambda _: None,
    }
    return BlobFetcher(**(defaults | options))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- what is fetched


def test_one_get_of_exactly_the_url_without_credentials(
    origin_factory: Callable[..., Origin],
) -> None:
    origin = origin_factory(answer())
    url = origin.url()

    assert fetcher(origin).fetch(url, 1024) == BODY

    (head,) = origin.heads
    lines = head.decode().split("\r\n")
    assert lines[0] == f"GET /6b2a-298717586028/sha256:abc?{QUERY} HTTP/1.1"
    headers = {
        line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:] if line
    }
    assert headers["host"] == f"127.0.0.1:{origin.port}"
    assert headers["accept-encoding"] == "identity"
    assert not {"authorization", "cookie", "proxy-authorization", "x-amz-security-token"} & set(
        headers
    )
    assert origin.connections == 1


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("http://127.0.0.1:{port}/x", None),  # no endpoint: https only
        ("http://127.0.0.1:{port}/x", "https://127.0.0.1:{port}"),  # an https endpoint
        ("http://127.0.0.1:{other}/x", "http://127.0.0.1:{port}"),  # another port
        ("http://localhost:{port}/x", "http://127.0.0.1:{port}"),  # another host
        ("http://127.0.0.1/x", "http://127.0.0.1:{port}"),  # port 80 is not the endpoint's
        ("file:///etc/passwd", "http://127.0.0.1:{port}"),
        ("ftp://127.0.0.1:{port}/x", "http://127.0.0.1:{port}"),
        ("gopher://127.0.0.1:{port}/x", None),
        ("https://user:pw@127.0.0.1:{port}/x", None),  # credentials in the URL
        ("https://127.0.0.1:{port}/x y", None),
        ("https://127.0.0.1:{port}/x\r\nX-Injected: 1", None),
        ("https://127.0.0.1:{port}/é", None),
        ("https:///x", None),
        ("https://127.0.0.1:99999/x", None),
        ("//127.0.0.1:{port}/x", None),
        ("https://[::1/x", None),  # a broken IPv6 address
        ("https://127.0.0.1:port/x", None),
    ],
)
def test_urls_refused_before_any_connection(
    url: str, endpoint: str | None, origin_factory: Callable[..., Origin]
) -> None:
    origin = origin_factory(answer())
    values = {"port": origin.port, "other": origin.port + 1}
    blob = BlobFetcher(endpoint_url=endpoint.format(**values) if endpoint else None)

    with pytest.raises(BlobError) as raised:
        blob.fetch(url.format(**values), 1024)

    assert raised.value.code == "RefusedUrl"
    assert origin.connections == 0


def test_redirect_is_not_followed(origin_factory: Callable[..., Origin]) -> None:
    origin = origin_factory(
        answer("302 Found", b"", ("Location: file:///etc/passwd?X-Amz-Signature=x",))
    )

    with pytest.raises(BlobError) as raised:
        fetcher(origin).fetch(origin.url(), 1024)

    assert raised.value.code == "Redirect"
    assert "file://" in raised.value.message
    assert "Signature" not in raised.value.message
    assert len(origin.heads) == 1


# --------------------------------------------------------------------------- failures


def test_access_denied_names_the_s3_code_and_hides_the_signature(
    origin_factory: Callable[..., Origin],
) -> None:
    xml = (
        b"<?xml version='1.0'?><Error><Code>AccessDenied</Code>"
        b"<Message>Request has expired</Message></Error>"
    )
    origin = origin_factory(answer("403 Forbidden", xml))

    with pytest.raises(BlobError) as raised:
        fetcher(origin).fetch(origin.url(), 1024)

    assert raised.value.code == "AccessDenied"
    assert "HTTP 403 AccessDenied" in raised.value.message
    assert "X-Amz" not in raised.value.message
    assert "/6b2a-298717586028/sha256:abc" in raised.value.message
    assert len(origin.heads) == 1  # not retried


def test_server_errors_are_retried_then_reported(origin_factory: Callable[..., Origin]) -> None:
    origin = origin_factory(
        answer("500 Internal Server Error", b"<Error><Code>InternalError</Code></Error>")
    )

    with pytest.raises(BlobError) as raised:
        fetcher(origin, max_attempts=3).fetch(origin.url(), 1024)

    assert raised.value.code == "HTTP500"
    assert "(after 2 retries)" in raised.value.message
    assert len(origin.heads) == 3


def test_throttling_that_clears_within_the_retries(origin_factory: Callable[..., Origin]) -> None:
    calls = []

    def slow_down_once(conn: socket.socket, head: bytes) -> None:
        calls.append(head)
        if len(calls) == 1:
            answer("503 Slow Down", b"<Error><Code>SlowDown</Code></Error>")(conn, head)
        else:
            answer()(conn, head)

    origin = origin_factory(slow_down_once)

    assert fetcher(origin).fetch(origin.url(), 1024) == BODY
    assert len(origin.heads) == 2


def test_declared_length_over_the_cap(origin_factory: Callable[..., Origin]) -> None:
    origin = origin_factory(answer(body=b"x" * 5000))

    with pytest.raises(BlobError) as raised:
        fetcher(origin).fetch(origin.url(), 4096)

    assert raised.value.code == "TooLarge"
    assert "5000 bytes" in raised.value.message


def test_chunked_body_over_the_cap_stops_reading(origin_factory: Callable[..., Origin]) -> None:
    sent = []

    def endless_chunks(conn: socket.socket, head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
        for _ in range(1000):
            conn.sendall(chunk)
            sent.append(len(chunk))

    origin = origin_factory(endless_chunks)

    with pytest.raises(BlobError) as raised:
        fetcher(origin).fetch(origin.url(), 64 * 1024)

    assert raised.value.code == "TooLarge"
    assert sum(sent) < 1000 * 4102  # the server was cut off, not read to its end


def test_body_shorter_than_its_length(origin_factory: Callable[..., Origin]) -> None:
    def short(conn: socket.socket, head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)

    origin = origin_factory(short)

    with pytest.raises(BlobError) as raised:
        fetcher(origin, max_attempts=2).fetch(origin.url(), 1024)

    assert raised.value.code == "ConnectionClosedError"
    assert "after 10 of 100 bytes" in raised.value.message
    assert "(after 1 retries)" in raised.value.message


def test_dropped_connection(origin_factory: Callable[..., Origin]) -> None:
    def drop(conn: socket.socket, head: bytes) -> None:
        conn.shutdown(socket.SHUT_RDWR)

    origin = origin_factory(drop)

    with pytest.raises(BlobError) as raised:
        fetcher(origin, max_attempts=1).fetch(origin.url(), 1024)

    assert raised.value.code == "ConnectionClosedError"


def test_garbage_answer(origin_factory: Callable[..., Origin]) -> None:
    def garbage(conn: socket.socket, head: bytes) -> None:
        conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

    origin = origin_factory(garbage)

    with pytest.raises(BlobError) as raised:
        fetcher(origin).fetch(origin.url(), 1024)

    assert raised.value.code == "BadResponse"


def _stall(origin_stop: Callable[[], threading.Event]) -> Behaviour:
    def stall(conn: socket.socket, head: bytes) -> None:
        origin_stop().wait(10)

    return stall


def test_read_timeout(origin_factory: Callable[..., Origin]) -> None:
    holder: list[Origin] = []
    origin = origin_factory(_stall(lambda: holder[0].stop))
    holder.append(origin)

    with pytest.raises(BlobError) as raised:
        fetcher(origin, read_timeout=0.3, max_attempts=2).fetch(origin.url(), 1024)

    assert raised.value.code == "ReadTimeout"
    assert "(after 1 retries)" in raised.value.message
    assert len(origin.heads) == 2


def test_connection_refused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    blob = BlobFetcher(
        endpoint_url=f"http://127.0.0.1:{port}", max_attempts=2, sleep=lambda _: None
    )

    with pytest.raises(BlobError) as raised:
        blob.fetch(f"http://127.0.0.1:{port}/x", 1024)

    assert raised.value.code == "ConnectionError"
    assert "(after 1 retries)" in raised.value.message


def test_cancel_ends_a_stalled_get(origin_factory: Callable[..., Origin]) -> None:
    holder: list[Origin] = []
    origin = origin_factory(_stall(lambda: holder[0].stop))
    holder.append(origin)
    cancel = threading.Event()

    def cancel_once_asked() -> None:
        if origin.got_request.wait(10):
            cancel.set()

    threading.Thread(target=cancel_once_asked, daemon=True).start()

    with pytest.raises(Cancelled):
        fetcher(origin, read_timeout=60.0).fetch(origin.url(), 1024, cancel)

    assert len(origin.heads) == 1


def test_cancel_during_backoff(origin_factory: Callable[..., Origin]) -> None:
    origin = origin_factory(answer("503 Slow Down", b""))
    cancel = threading.Event()
    blob = fetcher(origin, sleep=lambda _: cancel.set())

    with pytest.raises(Cancelled):
        blob.fetch(origin.url(), 1024, cancel)

    assert len(origin.heads) == 1


# --------------------------------------------------------------------------- TLS and proxies


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting the test CA) for a localhost certificate."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "reporter test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = Path(folder, "cert.pem"), Path(folder, "key.pem")
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


def test_https_verified(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], origin_factory: Callable[..., Origin]
) -> None:
    server, client = tls
    origin = origin_factory(answer(), tls=server)

    blob = BlobFetcher(ssl_context=client, proxies={}, sleep=lambda _: None)

    assert blob.fetch(origin.url(host="localhost"), 1024) == BODY
    (head,) = origin.heads
    assert f"Host: localhost:{origin.port}\r\n".encode() in head


def test_https_with_an_untrusted_certificate_is_refused(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], origin_factory: Callable[..., Origin]
) -> None:
    server, _ = tls
    origin = origin_factory(answer(), tls=server)
    untrusted = ssl.create_default_context()  # the system's CAs: not the test CA
    blob = BlobFetcher(ssl_context=untrusted, proxies={}, sleep=lambda _: None)

    with pytest.raises(BlobError) as raised:
        blob.fetch(origin.url(host="localhost"), 1024)

    assert raised.value.code == "SSLError"
    assert origin.heads == []
    assert origin.connections == 1  # not retried


class ConnectProxy:
    """An HTTP proxy that only tunnels (CONNECT), recording each CONNECT request's head."""

    def __init__(self) -> None:
        self.heads: list[bytes] = []
        self.stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(5)
        self._listener.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(1)
                if not chunk:
                    return
                head += chunk
            self.heads.append(head)
            host, _, port = head.split(b" ")[1].decode().rpartition(":")
            with socket.create_connection((host, int(port))) as upstream:
                conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                pair = {conn: upstream, upstream: conn}
                while not self.stop.is_set():
                    ready, _, _ = select.select(list(pair), [], [], 0.05)
                    for side in ready:
                        data = side.recv(65536)
                        if not data:
                            return
                        pair[side].sendall(data)


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    running = ConnectProxy()
    yield running
    running.close()


def test_https_through_a_connect_proxy_sends_proxy_credentials_to_the_proxy_only(
    tls: tuple[ssl.SSLContext, ssl.SSLContext],
    origin_factory: Callable[..., Origin],
    proxy: ConnectProxy,
) -> None:
    server, client = tls
    origin = origin_factory(answer(), tls=server)
    proxies = {"https": f"http://ci:p%40ss@127.0.0.1:{proxy.port}"}
    blob = BlobFetcher(ssl_context=client, proxies=proxies, sleep=lambda _: None)

    assert blob.fetch(origin.url(host="localhost"), 1024) == BODY

    (connect,) = proxy.heads
    assert connect.startswith(f"CONNECT localhost:{origin.port} HTTP/1.1\r\n".encode())
    assert b"Proxy-Authorization: Basic Y2k6cEBzcw==\r\n" in connect  # ci:p@ss
    (head,) = origin.heads
    assert b"Proxy-Authorization" not in head
    assert b"Authorization" not in head


def test_proxy_refusing_the_tunnel(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], origin_factory: Callable[..., Origin]
) -> None:
    refusing = origin_factory(answer("407 Proxy Authentication Required", b""))
    blob = BlobFetcher(ssl_context=tls[1], proxies={"https": f"http://127.0.0.1:{refusing.port}"})

    with pytest.raises(BlobError) as raised:
        blob.fetch("https://localhost:1/x", 1024)

    assert raised.value.code == "ProxyError"
    assert "407" in raised.value.message


@pytest.mark.parametrize("proxy", ["http://[::1:3128", "http://proxy:port", "socks5://proxy:1080"])
def test_unusable_proxy_settings_are_an_error(proxy: str) -> None:
    blob = BlobFetcher(proxies={"https": proxy})

    with pytest.raises(BlobError) as raised:
        blob.fetch("https://bucket.s3.amazonaws.com/x", 1024)

    assert raised.value.code == "UnsupportedProxy"


def test_https_proxy_scheme_is_not_supported() -> None:
    blob = BlobFetcher(proxies={"https": "https://proxy.example:3128"})

    with pytest.raises(BlobError) as raised:
        blob.fetch("https://bucket.s3.amazonaws.com/x", 1024)

    assert raised.value.code == "UnsupportedProxy"


def test_plain_http_to_the_emulator_never_uses_a_proxy(
    origin_factory: Callable[..., Origin],
) -> None:
    origin = origin_factory(answer())
    blob = fetcher(origin, proxies={"https": "http://127.0.0.1:1", "http": "http://127.0.0.1:1"})

    assert blob.fetch(origin.url(), 1024) == BODY
