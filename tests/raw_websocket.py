"""An attacker's websocket client: raw frames over a plain TCP socket, nothing a library would refuse.

aiohttp's client will not send a compressed frame the server did not agree to, nor announce a
10 MB message and stop: an attacker's script does both (red team R2). Used by the websocket
abuse tests and bench/ws_abuse.py; everything stays on 127.0.0.1 and bounded in time.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import zlib
from dataclasses import dataclass

TEXT, CLOSE, PING = 0x1, 0x8, 0x9


def deflate_bomb(inflated_bytes: int, filler: bytes = b"a") -> bytes:
    """A permessage-deflate payload of a chat message inflating to about `inflated_bytes` (raw deflate, no tail)."""
    body = b'{"type":"message","text":"' + filler * max(0, inflated_bytes - 30) + b'"}'
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = packer.compress(body) + packer.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4]  # RFC 7692: the 00 00 ff ff of the sync flush is left off


def frame(opcode: int, payload: bytes, *, rsv1: bool = False, announced: int | None = None) -> bytes:
    """One masked client frame; `announced` claims a different payload length than is sent."""
    length = len(payload) if announced is None else announced
    head = bytes([0x80 | (0x40 if rsv1 else 0) | opcode])
    if length < 126:
        head += bytes([0x80 | length])
    elif length < 1 << 16:
        head += bytes([0x80 | 126]) + struct.pack("!H", length)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", length)
    mask = os.urandom(4)
    key = (mask * (len(payload) // 4 + 1))[: len(payload)]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(len(payload), "big")
    return head + mask + masked


@dataclass
class RawSocket:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    extensions: str | None  # Sec-WebSocket-Extensions the server answered, None when it agreed to none

    async def send(self, data: bytes) -> bool:
        """False once the server has gone (reset or closed): an attacker just keeps going."""
        try:
            self.writer.write(data)
            await self.writer.drain()
            return True
        except (ConnectionError, OSError):
            return False

    async def next_frame(self, wait_s: float) -> tuple[int, bytes] | None:
        """(opcode, payload) of the server's next frame; None when the connection ended or timed out."""
        try:
            head = await asyncio.wait_for(self.reader.readexactly(2), wait_s)
            length = head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await asyncio.wait_for(self.reader.readexactly(length), wait_s)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError, OSError):
            return None
        return head[0] & 0x0F, payload

    async def close_code(self, wait_s: float = 10.0) -> tuple[int | None, list[bytes]]:
        """Read until the server's close frame: (its code, the text frames before it); code None if none came."""
        texts: list[bytes] = []
        while (got := await self.next_frame(wait_s)) is not None:
            opcode, payload = got
            if opcode == CLOSE:
                return (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None), texts
            if opcode == TEXT:
                texts.append(payload)
        return None, texts

    def abort(self) -> None:
        self.writer.transport.abort()


async def connect(port: int, path: str, *, extensions: str | None = "permessage-deflate") -> RawSocket:
    """Handshake on 127.0.0.1:port; offers `extensions` the way browsers and attack scripts do."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *([f"Sec-WebSocket-Extensions: {extensions}"] if extensions else []),
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).decode("latin-1")
    status = head.split("\r\n", 1)[0]
    if " 101 " not in status + " ":
        writer.close()
        raise ConnectionRefusedError(status)
    agreed = None
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "sec-websocket-extensions":
            agreed = value.strip()
    return RawSocket(reader, writer, agreed)
