"""The library's SigV4 signer against botocore's `SigV4Auth` on generated requests.

A fixed seed makes a few thousand requests with odd methods, paths (dot segments, repeated
slashes, escapes, non-ASCII, reserved characters), queries (repeated keys, empty names and
values, escapes written in every legal way), headers (case, repeated names, runs of spaces
and tabs, unsigned hop-by-hop names), bodies, regions, services and credentials with and
without a session token. botocore signs each; `aws-wire-probe sign` signs the same request
with the library; canonical request, string to sign, `Authorization` and the added headers
must be identical.

What botocore is given: the URL without its query and the query as decoded parameters (its
canonical form). What the library is given: the query as it could be sent, each character
encoded or not at random (`%7e` and `~`, `%41` and `A`, raw UTF-8), which it must decode and
encode canonically. Left out, where the two signers differ on purpose: a `Date` header
(botocore then signs `Date`; the library always uses `X-Amz-Date`) and empty query components
(`a&&b`), which no AWS request has.
"""

from __future__ import annotations

import datetime
import random
import string
from unittest import mock
from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from testkit.wire_probe import WireProbe, find_probe

SEED = 20261206
COUNT = 3000

PATH_CHARS = string.ascii_letters + string.digits + "-._~" + " !$&'()*+,;=:@%" + "éሴ😀/"
QUERY_CHARS = string.ascii_letters + string.digits + "-._~" + " !$&'()*+,;=:@/?%" + "éሴ😀"
HEADER_NAMES = ["X-Custom", "x-custom", "X-CUSTOM", "Content-Type", "X-Amz-Meta-Thing", "My-Header1",
                "Accept", "X-Amz-Target", "User-Agent", "Expect", "Connection", "X-Amzn-Trace-Id",
                "X-Amz-Date", "Authorization", "X-Amz-Security-Token", "Host", "HOST"]
HOSTS = ["sts.us-east-1.amazonaws.com", "IAM.amazonaws.com", "127.0.0.1:8443", "localhost:80",
         "example.com:443", "[::1]:9000", "sts.cn-north-1.amazonaws.com.cn"]
SCHEMES = ["https", "http"]
REGIONS = ["us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1", "ap-southeast-3"]
SERVICES = ["sts", "iam", "service", "execute-api"]


def random_text(rng: random.Random, alphabet: str, low: int, high: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def random_path(rng: random.Random) -> str:
    segments = []
    for _ in range(rng.randint(0, 6)):
        kind = rng.random()
        if kind < 0.15:
            segments.append(rng.choice([".", "..", ""]))
        elif kind < 0.3:
            segments.append(quote(random_text(rng, PATH_CHARS, 1, 6), safe=""))  # already escaped
        else:
            segments.append(random_text(rng, PATH_CHARS.replace("/", ""), 1, 8))
    path = "/".join(segments)
    if rng.random() < 0.3:
        path += "/"
    return "/" + path if path or rng.random() < 0.9 else ""  # a URL's path is empty or absolute


def loose_encode(rng: random.Random, text: str) -> str:
    """`text` as a query part could be written: every character escaped or not at random
    (hex digits in either case), except the ones that would change the query's structure."""
    out = []
    for ch in text:
        must = ch in "&=#% " or ord(ch) < 0x21  # a raw `+` stays: it means `+`, not a space
        if must or rng.random() < 0.4:
            escaped = quote(ch, safe="")
            if escaped == ch:
                escaped = "%{:02X}".format(ord(ch))
            out.append(escaped.lower() if rng.random() < 0.3 else escaped)
        else:
            out.append(ch)
    return "".join(out)


def random_query(rng: random.Random) -> tuple[list[tuple[str, str]], str]:
    """(decoded parameters for botocore, a query string for the library)."""
    params: list[tuple[str, str]] = []
    parts: list[str] = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
        if params and rng.random() < 0.25:
            key = rng.choice(params)[0]  # a repeated name
        else:
            key = random_text(rng, QUERY_CHARS, 0 if rng.random() < 0.05 else 1, 8)
        value = random_text(rng, QUERY_CHARS, 0, 10)
        params.append((key, value))
        if value == "" and key != "" and rng.random() < 0.5:
            parts.append(loose_encode(rng, key))  # no `=` at all
        else:
            parts.append(loose_encode(rng, key) + "=" + loose_encode(rng, value))
    return params, "&".join(parts)


def random_header_value(rng: random.Random) -> str:
    words = [random_text(rng, string.ascii_letters + string.digits + "\"'/;=,.-é", 1, 6)
             for _ in range(rng.randint(0, 4))]
    spaced = "".join(w + rng.choice([" ", "  ", "\t", " \t  ", ""]) for w in words)
    return rng.choice(["", " ", "\t", "  "]) + spaced + rng.choice(["", " ", "\t "])


def random_case(rng: random.Random) -> dict:
    scheme, host = rng.choice(SCHEMES), rng.choice(HOSTS)
    path = random_path(rng)
    params, query = random_query(rng)
    token = random_text(rng, string.ascii_letters + string.digits + "+/=", 20, 400) if rng.random() < 0.5 else None
    headers = []
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(HEADER_NAMES)
        if name.lower() == "host" and any(n.lower() == "host" for n, _ in headers):
            continue  # one Host header at most
        value = host.lower() if name.lower() == "host" else random_header_value(rng)
        headers.append((name, value))
    return {
        "method": rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"]),
        "scheme": scheme, "host": host, "path": path, "params": params, "query": query,
        "headers": headers,
        "body": rng.randbytes(rng.choice([0, 0, 1, 17, 300])),
        "region": rng.choice(REGIONS + [random_text(rng, string.ascii_lowercase + "-", 3, 12)]),
        "service": rng.choice(SERVICES),
        "access_key": rng.choice(["AKIA", "ASIA"]) + random_text(rng, string.ascii_uppercase + "234567", 16, 16),
        "secret_key": random_text(rng, string.ascii_letters + string.digits + "+/", 40, 40),
        "token": token,
        "time": rng.randint(946684800, 4102444799),  # 2000 .. 2099
    }


def botocore_signature(case: dict) -> dict:
    request = AWSRequest(method=case["method"], url=f"{case['scheme']}://{case['host']}{case['path']}",
                         data=case["body"])
    for name, value in case["headers"]:
        request.headers.add_header(name, value)
    if case["params"]:
        request.params = case["params"]
    auth = SigV4Auth(Credentials(case["access_key"], case["secret_key"], case["token"]),
                     case["service"], case["region"])
    moment = datetime.datetime.fromtimestamp(case["time"], datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        auth.add_auth(request)
    authorization = request.headers["Authorization"]
    del request.headers["Authorization"]
    canonical = auth.canonical_request(request)
    return {
        "canonical_request": canonical,
        "string_to_sign": auth.string_to_sign(request, canonical),
        "authorization": authorization,
        "x-amz-date": request.headers.get_all("X-Amz-Date"),
        "x-amz-security-token": request.headers.get_all("X-Amz-Security-Token") or [],
    }


def headers_as_sent(case: dict, headers_to_set: list) -> list[tuple[str, str]]:
    """The request's headers once the library's are set (a header of the same name replaced)."""
    replaced = {name.lower() for name, _ in headers_to_set}
    return [(n, v) for n, v in case["headers"] if n.lower() not in replaced] + [tuple(h) for h in headers_to_set]


def probe_input(case: dict) -> dict:
    url = f"{case['scheme']}://{case['host']}{case['path']}"
    if case["query"]:
        url += "?" + case["query"]
    item = {"method": case["method"], "url": url, "headers": [list(h) for h in case["headers"]],
            "body_hex": case["body"].hex(), "access_key": case["access_key"],
            "secret_key": case["secret_key"], "region": case["region"], "service": case["service"],
            "time": case["time"]}
    if case["token"] is not None:
        item["token"] = case["token"]
    return item


@pytest.fixture(scope="module")
def probe(binary) -> WireProbe:
    return WireProbe(find_probe(binary))


def test_the_library_signs_like_botocore(probe):
    rng = random.Random(SEED)
    cases = [random_case(rng) for _ in range(COUNT)]
    ours = probe.lines("sign", [probe_input(c) for c in cases])
    mismatches = []
    for case, mine in zip(cases, ours):
        theirs = botocore_signature(case)
        sent = headers_as_sent(case, mine["headers_to_set"])
        got = {"canonical_request": mine["canonical_request"], "string_to_sign": mine["string_to_sign"],
               "authorization": mine["authorization"],
               "x-amz-date": [v for n, v in sent if n.lower() == "x-amz-date"],
               "x-amz-security-token": [v for n, v in sent if n.lower() == "x-amz-security-token"]}
        if got != theirs:
            mismatches.append((case, got, theirs))
    assert not mismatches, (f"{len(mismatches)} of {COUNT} differ; first:\ncase={mismatches[0][0]!r}\n"
                            f"library={mismatches[0][1]!r}\nbotocore={mismatches[0][2]!r}")


def test_the_generator_reaches_the_odd_corners():
    """The generated requests cover what the module docstring promises (so a generator
    change cannot quietly make the comparison trivial)."""
    rng = random.Random(SEED)
    cases = [random_case(rng) for _ in range(COUNT)]
    paths = [c["path"] for c in cases]
    queries = [c["query"] for c in cases]
    assert sum("/../" in p or p.endswith("/..") for p in paths) > 50
    assert sum("//" in p for p in paths) > 50
    assert sum("%25" in p or "%2F" in p for p in paths) > 50
    assert sum(any(ord(ch) > 127 for ch in p) for p in paths) > 200
    assert sum(any(ch.islower() for part in q.split("%")[1:] for ch in part[:2]) for q in queries) > 100
    assert sum(len({k for k, _ in c["params"]}) < len(c["params"]) for c in cases) > 100
    assert sum(any(k == "" for k, _ in c["params"]) for c in cases) > 10
    assert sum("+" in q for q in queries) > 50
    assert sum(any("  " in v or "\t" in v for _, v in c["headers"]) for c in cases) > 300
    assert sum(len({n.lower() for n, _ in c["headers"]}) < len(c["headers"]) for c in cases) > 300
    assert sum(c["token"] is None for c in cases) > 1000 and sum(c["token"] is not None for c in cases) > 1000
    assert sum(not c["body"] for c in cases) > 500 and sum(len(c["body"]) == 300 for c in cases) > 300
