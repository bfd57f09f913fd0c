"""Events between services: CloudEvents envelope, transactional outbox, relay, inbox, consumer."""

EXCHANGE = "minilok.events"
