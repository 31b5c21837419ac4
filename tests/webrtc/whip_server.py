#!/usr/bin/env python3
"""A small WHIP (RFC 9725) + WHEP server on aiortc and aiohttp: the independent counterpart
`tests/probe_whip.rs` probes. Paths as SRS's: POST /rtc/v1/whip/?app=A&stream=S publishes,
POST /rtc/v1/whep/?app=A&stream=S plays what the publisher of A/S sends; each session is
/rtc/v1/resource/ID (DELETE ends it, PATCH takes trickle ICE fragments).

The relay forwards encoded frames: aiortc's receiver normally decodes every frame and its
sender re-encodes it, which would make the probe's byte-for-byte comparison meaningless, so
the receiver's decoder is replaced by one that hands the depacketized frame on as an
av.Packet, which aiortc's sender packetizes again without an encoder (its `pack` path).
The relay queues what a player has not taken yet (MediaRelay's buffered mode: unbuffered, a
player that falls behind on a busy machine skips frames). Everything else (SDP, ICE, DTLS,
SRTP, RTP) is aiortc's own.

Usage: whip_server.py PORT [--token TOKEN]. Prints "listening PORT" once it serves.
"""

import argparse
import asyncio
import fractions
import uuid

import av
from aiohttp import web
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc import rtcrtpreceiver
from aiortc.contrib.media import MediaRelay
from aiortc.sdp import candidate_from_sdp


class PassThrough:
    """A 'decoder' that returns the encoded frame as a packet, for the sender to pack."""

    def __init__(self, codec):
        self.time_base = fractions.Fraction(1, codec.clockRate)

    def decode(self, encoded_frame):
        packet = av.Packet(encoded_frame.data)
        packet.pts = encoded_frame.timestamp
        packet.time_base = self.time_base
        return [packet]


rtcrtpreceiver.get_decoder = PassThrough

relay = MediaRelay()
# stream key -> {kind: track}
streams = {}
# resource id -> (peer connection, etag, stream key or None)
sessions = {}
TOKEN = None


def key_of(request):
    return (request.query.get("app", ""), request.query.get("stream", ""))


def refused(request):
    if TOKEN is None:
        return None
    if "Authorization" not in request.headers:
        return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
    if request.headers["Authorization"] != "Bearer " + TOKEN:
        return web.Response(status=403)
    return None


async def offered(request):
    """The offer of a POST, or the error response to send."""
    denied = refused(request)
    if denied is not None:
        return None, denied
    if request.content_type != "application/sdp":
        return None, web.Response(status=415, text="application/sdp only")
    text = await request.text()
    if not text.startswith("v=0"):
        return None, web.Response(status=400, text="not SDP")
    return text, None


async def answer(pc, text, key, publishing):
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=text, type="offer"))
        if not publishing:
            tracks = streams.get(key)
            if not tracks:
                await pc.close()
                return web.Response(status=404, text="no such stream")
            for kind, track in tracks.items():
                if any(t.kind == kind for t in pc.getTransceivers()):
                    pc.addTrack(relay.subscribe(track))
        await pc.setLocalDescription(await pc.createAnswer())
    except Exception as e:  # aiortc raises ValueError and others on offers it cannot take
        await pc.close()
        return web.Response(status=400, text="offer refused: %s" % e)
    rid = uuid.uuid4().hex
    etag = '"%s"' % uuid.uuid4().hex[:8]
    sessions[rid] = (pc, etag, key if publishing else None)
    return web.Response(
        status=201,
        content_type="application/sdp",
        text=pc.localDescription.sdp,
        headers={"Location": "/rtc/v1/resource/" + rid, "ETag": etag},
    )


async def whip(request):
    text, error = await offered(request)
    if error is not None:
        return error
    key = key_of(request)
    pc = RTCPeerConnection()

    @pc.on("track")
    def on_track(track):
        streams.setdefault(key, {})[track.kind] = track

    return await answer(pc, text, key, True)


async def whep(request):
    text, error = await offered(request)
    if error is not None:
        return error
    return await answer(RTCPeerConnection(), text, key_of(request), False)


async def delete(request):
    entry = sessions.pop(request.match_info["id"], None)
    if entry is None:
        return web.Response(status=404)
    pc, _, key = entry
    if key is not None:
        streams.pop(key, None)
    await pc.close()
    return web.Response(status=200)


async def patch(request):
    entry = sessions.get(request.match_info["id"])
    if entry is None:
        return web.Response(status=404)
    pc, etag, _ = entry
    if request.headers.get("If-Match", etag) not in (etag, "*"):
        return web.Response(status=412)
    if request.content_type != "application/trickle-ice-sdpfrag":
        return web.Response(status=415)
    text = await request.text()
    mid = None
    for line in text.splitlines():
        if line.startswith("a=mid:"):
            mid = line[6:].strip()
        elif line.startswith("a=candidate:"):
            candidate = candidate_from_sdp(line[2:])
            candidate.sdpMid = mid
            await pc.addIceCandidate(candidate)
    return web.Response(status=204)


async def options(request):
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": "OPTIONS, POST",
            "Access-Control-Allow-Headers": "Content-Type, Authorization",
            "Accept-Post": "application/sdp",
        },
    )


def main():
    global TOKEN
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--token")
    args = parser.parse_args()
    TOKEN = args.token
    app = web.Application()
    app.router.add_post("/rtc/v1/whip/", whip)
    app.router.add_post("/rtc/v1/whep/", whep)
    app.router.add_route("OPTIONS", "/rtc/v1/whip/", options)
    app.router.add_route("OPTIONS", "/rtc/v1/whep/", options)
    app.router.add_delete("/rtc/v1/resource/{id}", delete)
    app.router.add_patch("/rtc/v1/resource/{id}", patch)

    async def started(_app):
        print("listening %d" % args.port, flush=True)

    app.on_startup.append(started)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
