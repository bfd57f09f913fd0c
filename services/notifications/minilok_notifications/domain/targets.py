"""Valid targets per channel (webhook URL, email, E.164 phone) and which addresses are off limits."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email

CHANNELS = ("webhook", "email", "whatsapp", "sms")


class InvalidTarget(ValueError):
    pass


def check_webhook_url(url: str) -> str:
    """http(s), a host, no credentials; returns the URL unchanged."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidTarget(f"URL tidak valid / invalid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise InvalidTarget("URL harus http atau https / URL must be http or https")
    if not parts.hostname:
        raise InvalidTarget("URL tanpa host / URL has no host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidTarget("URL tidak boleh memuat kredensial / URL must not contain credentials")
    if port == 0:
        raise InvalidTarget("port tidak valid / invalid port")
    return url


def literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches through: IPv4-mapped (::ffff:a.b.c.d),
    IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) or 6to4 (2002:aabb:ccdd::/48)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in NAT64 or int(ip) >> 32 == 0:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_blocked_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Private, loopback, link-local (cloud metadata 169.254.169.254 included), shared, reserved,
    multicast and unspecified addresses: anything not globally routable, also when reached through
    an IPv6 address that carries it (Python counts NAT64, 6to4 and IPv4-compatible as global)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None and is_blocked_address(inner):
            return True
        if ip.ipv4_mapped is not None:
            return False
    return not ip.is_global or ip.is_multicast


def normalize_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidTarget(f"alamat email tidak valid / invalid email address: {exc}") from exc


# Numbers written without a country code ("0812 5555 1234") are Indonesian.
DEFAULT_REGION = "ID"


def normalize_phone(value: str) -> str:
    """An E.164 number (+62...), as the WhatsApp and SMS gateways want it, from a number as people
    write it: "0812 5555 1234", "+62 812-5555-1234", "62812 5555 1234" or "(0812) 55551234"."""
    text = value.strip()
    digits = re.sub(r"[\s().\-]", "", text)
    if digits.startswith("00"):  # the international prefix dialled from Indonesia
        digits = "+" + digits[2:]
    elif digits.startswith("62") and not digits.startswith("+"):
        digits = "+" + digits
    try:
        number = phonenumbers.parse(digits, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidTarget("nomor telepon tidak valid, tulis mis. 0812 3456 7890 / invalid phone number, "
                            "write e.g. +62 812 3456 7890") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidTarget("nomor telepon tidak valid, tulis mis. 0812 3456 7890 / invalid phone number, "
                            "write e.g. +62 812 3456 7890")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_target(channel: str, target: str) -> str:
    """The target in its canonical form, or InvalidTarget (the address check of webhooks is separate:
    it needs DNS)."""
    if channel == "webhook":
        return check_webhook_url(target)
    if channel == "email":
        return normalize_email(target)
    return normalize_phone(target)
