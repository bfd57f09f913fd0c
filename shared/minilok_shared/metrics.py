"""Prometheus metrics, defined once per process and labelled by service."""

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "minilok_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "minilok_http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"]
)
REQUESTS_SHED = Counter("minilok_http_requests_shed_total",
                        "Requests answered 503 to shed load (over <SERVICE>_LIMIT_CONCURRENCY in flight, "
                        "or after waiting MINILOK_REQUEST_QUEUE_SECONDS for a session)", ["service"])
EVENTS_PUBLISHED = Counter("minilok_events_published_total", "Events published by the relay", ["service", "type"])
EVENTS_CONSUMED = Counter(
    "minilok_events_consumed_total", "Events taken by a consumer, by outcome", ["service", "type", "outcome"]
)
