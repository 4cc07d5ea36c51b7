"""The request journal is bounded by bytes and can be cleared (issue 10, item 8)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import orjson

from mock_exchange import MockExchange, ServerConfig
from mock_exchange.faults import JOURNAL_ENTRY_CHARS, Control


async def _get(s: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with s.get(url) as r:
        return r.status, await r.read()


async def test_big_frames_are_truncated_and_marked() -> None:
    """Megabyte WS API frames are journalled as their first characters, marked truncated, so the
    journal (and GET /_mock/journal) stays small; secrets are redacted before the cut."""
    async with MockExchange(config=ServerConfig(rate=0, frozen_clock=True)) as mx:
        url = mx.url("wss://ws-api.binance.com:443/ws-api/v3")
        pad = "x" * ((1 << 20) - 200)
        frame = orjson.dumps(
            {"id": 1, "method": "time", "params": {"signature": "s3cr3t", "pad": pad}}
        ).decode()
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(url, max_msg_size=1 << 21) as ws:
                for _ in range(12):
                    await ws.send_str(frame)
                    await asyncio.wait_for(ws.receive_json(), 5)
            status, body = await _get(s, f"{mx.base_url}/_mock/journal")
        entries: list[dict[str, Any]] = orjson.loads(body)["entries"]
        assert status == 200 and len(entries) == 12
        assert len(body) < 12 * (JOURNAL_ENTRY_CHARS + 1000)
        for entry in entries:
            assert entry["truncated"] == len(frame.replace("s3cr3t", "<redacted>")) - (
                JOURNAL_ENTRY_CHARS
            )
            assert entry["text"].startswith('{"id":1,"method":"time","params":{"signature":"<red')
            assert "s3cr3t" not in entry["text"]


def test_journal_keeps_the_newest_entries_within_its_byte_bound() -> None:
    """Past its byte bound the journal drops its oldest entries; the newest stay in order."""
    control = Control(journal_max_bytes=10_000)
    for i in range(100):
        control.record(i, 1, "ws", "h", "/ws", f"{i:03d}" + "y" * 497)
    assert control.journal_bytes <= 10_000
    seqs = [e.seq for e in control.journal]
    assert seqs == list(range(100 - len(seqs), 100)) and len(seqs) >= 15


async def test_journal_is_cleared_by_http_python_and_reset() -> None:
    """DELETE /_mock/journal, clear_journal() and reset each leave the journal empty."""
    async with MockExchange(config=ServerConfig(rate=0, frozen_clock=True)) as mx:
        time_url = mx.url("https://api.binance.com/api/v3/time")
        journal = f"{mx.base_url}/_mock/journal"
        async with aiohttp.ClientSession() as s:
            await _get(s, time_url)
            assert len(mx.control.journal) == 1
            async with s.delete(journal) as r:
                assert r.status == 200 and await r.json() == {"entries": []}
            assert list(mx.control.journal) == [] and mx.control.journal_bytes == 0
            await _get(s, time_url)
            mx.act("clear_journal", {})
            assert list(mx.control.journal) == []
            await _get(s, time_url)
            mx.reset()
            assert list(mx.control.journal) == []
