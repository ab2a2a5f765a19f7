"""Error tree, error mapping from status/body/headers, and key scrubbing."""

from __future__ import annotations

import pytest

from codeswitch.providers import errors as E
from codeswitch.providers.errmap import error_from_event, error_from_response, retry_after_seconds

KEY = "sk-test-SECRETSECRETSECRET"


def oai(message: str, typ: str, code: str | None) -> str:
    import json

    return json.dumps({"error": {"message": message, "type": typ, "param": None, "code": code}})


def anth(typ: str, message: str) -> str:
    import json

    return json.dumps({"type": "error", "error": {"type": typ, "message": message}})


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (401, oai("Incorrect API key", "invalid_request_error", "invalid_api_key"), E.AuthError),
        (403, anth("permission_error", "no"), E.AuthError),
        (
            404,
            oai("The model `x` does not exist", "invalid_request_error", "model_not_found"),
            E.ModelNotFound,
        ),
        (
            400,
            oai("The model `x` does not exist", "invalid_request_error", "model_not_found"),
            E.ModelNotFound,
        ),
        (404, anth("not_found_error", "model: x"), E.ModelNotFound),
        (429, oai("Rate limit reached", "requests", "rate_limit_exceeded"), E.RateLimited),
        (
            429,
            oai("You exceeded your current quota", "insufficient_quota", "insufficient_quota"),
            E.QuotaExhausted,
        ),
        (402, anth("billing_error", "credit balance too low"), E.QuotaExhausted),
        (529, anth("overloaded_error", "Overloaded"), E.Overloaded),
        (500, anth("api_error", "Internal"), E.ServerError),
        (502, "<html>bad gateway</html>", E.ServerError),
        (400, anth("invalid_request_error", "prefill not supported"), E.BadRequest),
        (413, anth("request_too_large", "too big"), E.BadRequest),
    ],
)
def test_status_and_body_map_to_the_documented_class(
    status: int, body: str, cls: type[E.ProviderError]
) -> None:
    err = error_from_response(status, {}, body, provider="p", model="m", secret=KEY)
    assert type(err) is cls
    assert err.status == status
    assert err.provider == "p" and err.model == "m"


def test_retryability_follows_the_tree() -> None:
    assert not E.AuthError("x").retryable
    assert not E.ModelNotFound("x").retryable
    assert not E.QuotaExhausted("x").retryable
    assert not E.BadRequest("x").retryable
    for cls in (
        E.RateLimited,
        E.Overloaded,
        E.ServerError,
        E.ConnectTimeout,
        E.FirstTokenTimeout,
        E.IdleTimeout,
    ):
        assert cls("x").retryable
    assert issubclass(E.IdleTimeout, E.ProviderTimeout) and issubclass(E.ConnectTimeout, E.ProviderTimeout)
    kinds = [c.kind for c in E.ERROR_KINDS.values()]
    assert len(kinds) == len(set(kinds))


def test_in_stream_errors_map_by_type() -> None:
    over = error_from_event(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        provider="a",
        model="m",
        secret=None,
    )
    assert isinstance(over, E.Overloaded)
    rl = error_from_event(
        {"error": {"code": "rate_limit_exceeded", "message": "slow"}}, provider="a", model="m", secret=None
    )
    assert isinstance(rl, E.RateLimited)
    unknown = error_from_event({"error": {"message": "boom"}}, provider="a", model="m", secret=None)
    assert isinstance(unknown, E.ServerError)


def test_retry_after_hints() -> None:
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"Retry-After-Ms": "250"}) == 0.25
    assert (
        retry_after_seconds({"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "20ms"})
        == 360.0
    )
    now = 1_700_000_000.0
    assert (
        retry_after_seconds({"anthropic-ratelimit-requests-reset": "2023-11-14T22:13:30Z"}, now=now) == 10.0
    )
    assert retry_after_seconds({"retry-after": "Tue, 14 Nov 2023 22:13:25 GMT"}, now=now) == 5.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_rate_limit_error_carries_wait_and_headers() -> None:
    err = error_from_response(
        429,
        {"retry-after": "3", "x-ratelimit-remaining-requests": "0", "content-type": "application/json"},
        oai("Rate limit", "requests", "rate_limit_exceeded"),
        provider="openai",
        model="gpt",
        secret=None,
    )
    assert isinstance(err, E.RateLimited)
    assert err.retry_after_s == 3.0
    assert err.rate_limit == {"retry-after": "3", "x-ratelimit-remaining-requests": "0"}
    assert err.to_json()["kind"] == "rate_limited"


def test_messages_never_hold_a_key() -> None:
    body = oai(
        f"Incorrect API key provided: {KEY}. Authorization: Bearer {KEY}", "invalid_request_error", None
    )
    err = error_from_response(401, {}, body, provider="openai", model="m", secret=KEY)
    for text in (str(err), repr(err), err.message, str(err.to_json())):
        assert KEY not in text
        assert "SECRETSECRET" not in text
    # Keys of other providers that look like keys are scrubbed too, even when not given as secret.
    other = E.ServerError("echo sk-ant-api03-abcdefghijkl and Bearer abcdef123456")
    assert "abcdefghijkl" not in str(other) and "abcdef123456" not in str(other)
    assert E.scrub("short key ab", ["ab"]) == "short key ab"  # too short to be a key: left alone
