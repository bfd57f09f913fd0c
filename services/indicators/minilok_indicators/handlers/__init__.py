"""What the indicators service does on each incoming event (`minilok consume indicators`)."""

from minilok_indicators.handlers.followups import record_completion
from minilok_shared.events.consumer import Handlers

handlers = Handlers()
handlers.on("followup.completed")(record_completion)

__all__ = ["handlers"]
