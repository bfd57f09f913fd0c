"""Valid targets per channel and the address guard."""

import ipaddress

import pytest
from minilok_notifications.channels.webhook import BlockedTarget, check_target_addresses
from minilok_notifications.domain.targets import InvalidTarget, is_blocked_address, normalize_target


@pytest.mark.parametrize("url", ["https://example.org/hook", "http://93.184.216.34:8080/x?y=1"])
def test_good_urls(url):
    assert normalize_target("webhook", url) == url


@pytest.mark.parametrize("url", ["ftp://example.org/x", "https://user:pw@example.org/", "https://user@example.org/",
                                 "example.org/hook", "https:///nohost", "javascript:alert(1)", "http://[::1"])
def test_bad_urls(url):
    with pytest.raises(InvalidTarget):
        normalize_target("webhook", url)


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",
                                "100.64.0.1", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "224.0.0.1"])
def test_blocked_addresses(ip):
    assert is_blocked_address(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", [
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::10.0.0.5",  # NAT64 to loopback, metadata, private
    "2002:a9fe:a9fe::", "2002:7f00:1::1", "2002:c0a8:101::",  # 6to4 of link-local, loopback, private
    "::127.0.0.1", "::169.254.169.254", "::10.1.2.3",  # IPv4-compatible
    "::ffff:169.254.169.254", "::ffff:10.1.2.3",  # IPv4-mapped
])
def test_blocked_ipv4_inside_ipv6(ip):
    assert is_blocked_address(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808",
                                "2002:808:808::1", "::ffff:8.8.8.8"])
def test_public_addresses(ip):
    assert not is_blocked_address(ipaddress.ip_address(ip))


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://169.254.169.254/latest/meta-data", "http://[::1]/"])
def test_literal_private_urls_refused_unless_allowed(url):
    with pytest.raises(BlockedTarget):
        check_target_addresses(url, allow_private=False)
    check_target_addresses(url, allow_private=True)


def test_email_and_phone():
    assert normalize_target("email", "Kader@Example.org") == "Kader@example.org"
    assert normalize_target("whatsapp", "+62 812-3456-7890") == "+6281234567890"
    assert normalize_target("sms", "+6281234567890") == "+6281234567890"
    for channel, value in [("email", "not-an-email"), ("sms", "0812"), ("whatsapp", "+620000"),
                           ("sms", "+62abc"), ("whatsapp", "0812 abc")]:
        with pytest.raises(InvalidTarget):
            normalize_target(channel, value)


@pytest.mark.parametrize("typed", ["0812 5555 1234", "081255551234", "+62 812-5555-1234", "62812 5555 1234",
                                   "6281255551234", "(0812) 5555-1234", "0062 812 5555 1234", " 0812.5555.1234 "])
def test_phone_as_people_write_it_is_stored_as_e164(typed):
    assert normalize_target("whatsapp", typed) == "+6281255551234"
    assert normalize_target("sms", typed) == "+6281255551234"


def test_a_wrong_phone_says_how_to_write_it_in_both_languages():
    with pytest.raises(InvalidTarget) as caught:
        normalize_target("whatsapp", "12345")
    indonesian, english = str(caught.value).split(" / ")
    assert "0812" in indonesian and "E.164" not in str(caught.value)
    assert english.startswith("invalid phone number")


def _settings(**kw):
    from minilok_notifications.config import NotificationsSettings

    return NotificationsSettings(**kw)


def test_send_time_connects_to_the_checked_address(monkeypatch):
    """The name is resolved once; the request goes to that address, with the original Host and
    TLS server name, so a second (rebinding) lookup cannot send it elsewhere."""
    from minilok_notifications.channels import webhook

    monkeypatch.setattr(webhook, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34")])
    channel = webhook.WebhookChannel(_settings(allow_private_targets=False))
    url, headers, extensions = channel._pinned_request("https://hooks.example.org/in?x=1")
    assert url == "https://93.184.216.34:443/in?x=1"
    assert headers == {"host": "hooks.example.org"} and extensions == {"sni_hostname": "hooks.example.org"}


def test_send_time_refuses_a_name_that_now_resolves_inside(monkeypatch):
    from minilok_notifications.channels import Message, webhook

    monkeypatch.setattr(webhook, "resolve", lambda host, port: [ipaddress.ip_address("93.184.216.34"),
                                                                ipaddress.ip_address("169.254.169.254")])
    channel = webhook.WebhookChannel(_settings(allow_private_targets=False))
    result = channel.send(Message(delivery_id=1, message_id="msg_1", subscription_id=1, channel="webhook",
                                  target="https://hooks.example.org/in", language="id", timezone="Asia/Jakarta",
                                  body="{}", signing_secrets=["whsec_" + "A" * 32]))
    assert result.permanent and "169.254.169.254" in result.error
