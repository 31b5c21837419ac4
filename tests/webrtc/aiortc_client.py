#!/usr/bin/env python3
"""A WHIP publisher or WHEP player on aiortc (PyPI 1.16), a WebRTC stack independent of both
Chromium and str0m, for tests/serve_webrtc.rs. Publishing sends a generated picture (aiortc
encodes it, H.264 or VP8) and silence as Opus; playing counts the frames aiortc decodes.

Usage: aiortc_client.py publish|play URL SECONDS [CODEC]
Prints one JSON object: the HTTP status, ICE state, frames sent or decoded per kind, DELETE's
status.
"""

import asyncio
import json
import sys

import aiohttp
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from aiortc.mediastreams import AudioStreamTrack
from av import VideoFrame


class Pattern(VideoStreamTrack):
    """A moving gradient, 320x240 at aiortc's 30 fps clock."""

    def __init__(self):
        super().__init__()
        self.frames = 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = VideoFrame(width=320, height=240, format="yuv420p")
        luma = bytes((x + self.frames * 4) % 256 for x in range(320)) * 240
        frame.planes[0].update(luma)
        frame.planes[1].update(bytes([128]) * (160 * 120))
        frame.planes[2].update(bytes([128]) * (160 * 120))
        frame.pts, frame.time_base = pts, time_base
        self.frames += 1
        return frame


async def count(track, counts):
    while True:
        try:
            await track.recv()
        except Exception:
            return
        counts[track.kind] = counts.get(track.kind, 0) + 1


async def main(mode, url, seconds, codec):
    pc = RTCPeerConnection()
    counts = {}
    pattern = None
    if mode == "publish":
        pattern = Pattern()
        video = pc.addTransceiver(pattern, direction="sendonly")
        pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
        wanted = [c for c in RTCRtpSender.getCapabilities("video").codecs
                  if c.mimeType.lower() == f"video/{codec.lower()}"]
        video.setCodecPreferences(wanted)
    else:
        pc.addTransceiver("video", direction="recvonly")
        pc.addTransceiver("audio", direction="recvonly")
        pc.on("track", lambda track: asyncio.ensure_future(count(track, counts)))
    await pc.setLocalDescription(await pc.createOffer())
    result = {}
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data=pc.localDescription.sdp,
                             headers={"Content-Type": "application/sdp"}) as response:
            result["status"] = response.status
            answer = await response.text()
            location = response.headers.get("Location")
        if result["status"] == 201:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            await asyncio.sleep(seconds)
            result["ice"] = pc.iceConnectionState
            if pattern:
                counts["video"] = pattern.frames
            result["frames"] = counts
            async with http.delete(str(response.url.join(aiohttp.client.URL(location)))) as r:
                result["deleted"] = r.status
    await pc.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    mode, url, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    codec = sys.argv[4] if len(sys.argv) > 4 else "H264"
    asyncio.run(main(mode, url, seconds, codec))
