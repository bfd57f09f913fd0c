"""What the indicators service tells the others: events written to its outbox."""

from minilok_indicators import models
from minilok_shared.events.outbox import Outbox

outbox = Outbox(models.outbox, source="/indicators")
