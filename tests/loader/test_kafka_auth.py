"""The loader's consumer (librdkafka) authenticates to MSK with IAM over OAUTHBEARER."""
from __future__ import annotations

import base64
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from shared.broker import librdkafka_security_config
from shared.settings import Settings


def _settings(protocol: str) -> Settings:
    return Settings(kafka_security_protocol=protocol, kafka_sasl_mechanism="AWS_MSK_IAM", _env_file=None)


def test_given_plaintext_when_configured_then_no_security_settings():
    assert librdkafka_security_config(_settings("PLAINTEXT")) == {}


def test_given_msk_iam_when_configured_then_oauthbearer_signs_a_connect_token_for_the_region(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")  # AWS's documented example key
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-northeast-2")
    monkeypatch.delenv("AWS_REGION", raising=False)
    config = librdkafka_security_config(_settings("SASL_SSL"))
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanisms"] == "OAUTHBEARER"
    assert config["ssl.ca.location"] == "probe"

    token, expiry = config["oauth_cb"](None)
    url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.netloc == "kafka.ap-northeast-2.amazonaws.com"
    assert query["Action"] == ["kafka-cluster:Connect"]
    assert query["X-Amz-Credential"][0].startswith("AKIAIOSFODNN7EXAMPLE/")
    assert time.time() < expiry < time.time() + 3600  # seconds since the epoch, in the future


def test_given_msk_iam_without_a_region_when_a_token_is_asked_then_the_error_names_the_variable(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    config = librdkafka_security_config(_settings("SASL_SSL"))
    with pytest.raises(RuntimeError, match="AWS_REGION or AWS_DEFAULT_REGION"):
        config["oauth_cb"](None)
