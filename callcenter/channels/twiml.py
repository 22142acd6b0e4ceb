"""TwiML documents the voice webhooks answer with, built as XML (never by string pasting).

Twilio's Voice webhooks expect `200 text/xml` holding a `<Response>` of verbs. We need four:
`<Connect><ConversationRelay>` to put a new call on the relay websocket, and, when the relay
session ends, `<Enqueue>` (a queue, or a TaskRouter workflow), `<Dial>` (a phone number, e.g.
the emergency line) or `<Hangup/>`. Everything here is a pure function over plain values, so the
documents can be checked against Twilio's own helper library in tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

CONTENT_TYPE = "text/xml"


@dataclass(frozen=True, slots=True)
class RelaySpec:
    """What `<ConversationRelay>` needs: where to connect and how the call sounds.

    `language`, `voice`, `tts_provider` and `transcription_provider` are passed through as
    Twilio's attributes when set; unset ones are left out so Twilio's defaults apply.
    """

    relay_url: str
    action_url: str
    welcome_greeting: str = ""
    language: str = "en-US"
    voice: str | None = None
    tts_provider: str | None = None
    transcription_provider: str | None = None
    dtmf_detection: bool = True
    interruptible: bool = True
    parameters: Mapping[str, str] = field(default_factory=dict)


def _document(root: ET.Element) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(root, encoding="unicode")


def _say(parent: ET.Element, text: str | None, language: str | None) -> None:
    if text:
        say = ET.SubElement(parent, "Say")
        if language:
            say.set("language", language)
        say.text = text


def _flag(value: bool) -> str:
    return "true" if value else "false"


def connect_relay(spec: RelaySpec) -> str:
    """`<Connect action=…><ConversationRelay url=… …><Parameter …/></ConversationRelay></Connect>`.

    The action URL is where Twilio asks what to do when the relay session ends (our handoff
    callback); `<Parameter>`s arrive in the relay's `setup` message as `customParameters`.
    """
    response = ET.Element("Response")
    connect = ET.SubElement(response, "Connect", {"action": spec.action_url})
    attrs = {
        "url": spec.relay_url,
        "language": spec.language,
        "dtmfDetection": _flag(spec.dtmf_detection),
        "interruptible": "any" if spec.interruptible else "none",
    }
    if spec.welcome_greeting:
        attrs["welcomeGreeting"] = spec.welcome_greeting
    optional = {
        "voice": spec.voice,
        "ttsProvider": spec.tts_provider,
        "transcriptionProvider": spec.transcription_provider,
    }
    attrs.update({k: v for k, v in optional.items() if v})
    relay = ET.SubElement(connect, "ConversationRelay", attrs)
    for name, value in spec.parameters.items():
        ET.SubElement(relay, "Parameter", {"name": name, "value": value})
    return _document(response)


def enqueue(
    queue: str,
    *,
    say: str | None = None,
    language: str | None = None,
    workflow_sid: str | None = None,
    task: Mapping[str, Any] | None = None,
    priority: int | None = None,
) -> str:
    """Put the caller in a queue: `<Enqueue>name</Enqueue>`, or a TaskRouter task when `workflow_sid` is set.

    With TaskRouter the queue name, priority and handoff details travel as the task's JSON
    attributes, so the workflow's filters can route on them.
    """
    response = ET.Element("Response")
    _say(response, say, language)
    if workflow_sid:
        node = ET.SubElement(response, "Enqueue", {"workflowSid": workflow_sid})
        task_el = ET.SubElement(node, "Task")
        if priority is not None:
            task_el.set("priority", str(priority))
        task_el.text = json.dumps({"queue": queue, **dict(task or {})}, separators=(",", ":"), default=str)
    else:
        node = ET.SubElement(response, "Enqueue")
        node.text = queue
    return _document(response)


def dial(
    number: str,
    *,
    say: str | None = None,
    language: str | None = None,
    timeout_s: int = 30,
    caller_id: str | None = None,
) -> str:
    """Connect the caller to a phone number (`<Dial><Number>…</Number></Dial>`)."""
    response = ET.Element("Response")
    _say(response, say, language)
    attrs = {"timeout": str(timeout_s)}
    if caller_id:
        attrs["callerId"] = caller_id
    node = ET.SubElement(response, "Dial", attrs)
    ET.SubElement(node, "Number").text = number
    return _document(response)


def hangup(*, say: str | None = None, language: str | None = None) -> str:
    """End the call (`<Hangup/>`), optionally after a last sentence."""
    response = ET.Element("Response")
    _say(response, say, language)
    ET.SubElement(response, "Hangup")
    return _document(response)
