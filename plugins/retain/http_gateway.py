"""Plugin ``retain.http_gateway``: deliver messages through a WhatsApp/SMS gateway over HTTP.

An example of a channel plugin (``dyncrm_notification_channels``).  Each
message is POSTed as JSON ``{"to": ..., "subject": ..., "body": ...}`` to the
configured URL, with ``Authorization: Bearer <token>`` when a token is set
(write it as ``token = { "$env" = "WA_GATEWAY_TOKEN" }`` so it stays out of
the file) and an ``Idempotency-Key`` header: the message's stable id (a UUID
stored with it), the same on every attempt.  The channel declares that it
honours the key, so a message whose hand-over a crash interrupted is resent
with the same key: a gateway that drops repeated keys delivers it exactly once
(one that ignores the key may deliver it twice, never zero times).  Any answer
other than 2xx, a timeout or a refused connection raises, and the outbox
retries with backoff.

Settings (``[plugins."retain.http_gateway"]``): ``url`` (required),
``token``, ``timeout`` (seconds, default 10), ``channel`` (the channel's
name, default ``whatsapp``; members pick it as their preferred channel).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import attrs

from dyncrm import hookimpl
from dyncrm.errors import DyncrmError
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Channel, OutboundMessage

PLUGIN = "retain.http_gateway"


def _http_url(instance, attribute, value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"url {value!r} must be an http:// or https:// address")


def _positive(instance, attribute, value: int) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be above zero")


@attrs.frozen
class GatewaySettings:
    """Where and how to reach the gateway."""

    url: str = attrs.field(validator=_http_url)
    token: str | None = None
    timeout: int = attrs.field(default=10, validator=_positive)
    channel: str = "whatsapp"


class GatewayError(DyncrmError):
    """The gateway refused a message or could not be reached."""


def gateway_channel(settings: GatewaySettings) -> Channel:
    """The channel that posts each message to ``settings.url``."""

    def send(message: OutboundMessage) -> None:
        payload = json.dumps({"to": message.recipient, "subject": message.subject,
                              "body": message.body}, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Idempotency-Key": message.idempotency_key,
                   "User-Agent": "dyncrm-http-gateway"}
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        request = urllib.request.Request(settings.url, data=payload, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=settings.timeout) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as exc:
            raise GatewayError(f"gateway answered {exc.code} {exc.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GatewayError(f"gateway {settings.url} not reachable: {reason}") from None
        if not 200 <= status < 300:
            raise GatewayError(f"gateway answered {status}")

    host = urlsplit(settings.url).netloc
    return Channel(settings.channel, send, f"HTTP gateway at {host}",
                   honours_idempotency_key=True)


spec = PluginSpec(PLUGIN, settings=GatewaySettings)
spec.export(globals())


@hookimpl
def dyncrm_notification_channels(crm):
    return [gateway_channel(crm.plugin_config(PLUGIN))]
