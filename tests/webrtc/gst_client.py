#!/usr/bin/env python3
"""A WHIP publisher or WHEP player on GStreamer's webrtcbin (Debian 12: GStreamer 1.22, libnice
0.1.21), a third WebRTC stack beside Chromium and aiortc, for tests/serve_webrtc_gst.rs.

Signalling is WHIP/WHEP over HTTP (RFC 9725): webrtcbin makes the offer, gathers its candidates
(no trickle), the script POSTs it as application/sdp, expects 201 with the answer and a Location,
and DELETEs the Location at the end.

Publishing sends videotestsrc through x264enc (H.264, packetization-mode 1) or x265enc (H.265,
RFC 7798) and a sine tone through opusenc; playing offers that video codec and Opus, decodes
what arrives (decodebin: avdec_h264 or avdec_h265, opusdec) and counts decoded frames.

Usage: gst_client.py publish|play URL SECONDS
Environment: GST_CLIENT_CODEC=h265 sends or receives H.265 instead of H.264;
GST_CLIENT_CERT=default keeps webrtcbin's own (RSA) certificate instead of a P-256 one (see
ecdsa_certificate); GST_CLIENT_SDP=1 prints the offer and answer to stderr.
Prints one JSON object: the HTTP status, ICE and peer-connection states, buffers sent or frames
decoded per kind, the decoded picture size, DELETE's status, and any error on the bus.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstWebRTC", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

PUBLISH = """
webrtcbin name=rtc bundle-policy=max-bundle
videotestsrc is-live=true pattern=ball
  ! video/x-raw,width=640,height=360,framerate=25/1 ! videoconvert
  ! {video}
  ! identity name=video_sent ! rtc.
audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample
  ! opusenc ! rtpopuspay
  ! application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000
  ! identity name=audio_sent ! rtc.
"""

# Per codec: the publisher's encoder and payloader, and the player's receive caps.
VIDEO = {
    "h264": ("""x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=600
  ! video/x-h264,profile=constrained-baseline ! h264parse
  ! rtph264pay config-interval=-1 aggregate-mode=zero-latency
  ! application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,
    packetization-mode=(string)1""",
             "application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,"
             "packetization-mode=(string)1,profile-level-id=(string)42e01f"),
    "h265": ("""x265enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=600
  ! video/x-h265,profile=main ! h265parse
  ! rtph265pay config-interval=-1 aggregate-mode=zero-latency
  ! application/x-rtp,media=video,encoding-name=H265,payload=102,clock-rate=90000""",
             "application/x-rtp,media=video,encoding-name=H265,payload=102,clock-rate=90000"),
}
AUDIO_CAPS = ("application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000,"
              "encoding-params=(string)2")


def ecdsa_certificate():
    """A self-signed P-256 certificate and its key, in PEM: webrtcbin 1.22 makes an RSA one,
    which str0m's DTLS 1.2 refuses (its CertificateRequest asks for ECDSA signatures only;
    RFC 8827 §6.5 makes ECDSA with P-256 the one every endpoint must support)."""
    with tempfile.TemporaryDirectory() as dir:
        key, cert = os.path.join(dir, "key.pem"), os.path.join(dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                        "-subj", "/CN=webrtcbin", "-keyout", key, "-out", cert],
                       check=True, capture_output=True)
        digest = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-fingerprint",
                                 "-sha256"], check=True, capture_output=True, text=True)
        with open(cert) as c, open(key) as k:
            return c.read() + k.read(), digest.stdout.strip().split("=", 1)[1]


class Client:
    def __init__(self, mode, url, seconds):
        self.mode, self.url, self.seconds = mode, url, seconds
        self.result = {"counts": {}}
        self.lock = threading.Lock()
        self.loop = GLib.MainLoop()
        video, video_caps = VIDEO[os.environ.get("GST_CLIENT_CODEC", "h264")]
        if mode == "publish":
            self.pipe = Gst.parse_launch(PUBLISH.format(video=video))
            self.rtc = self.pipe.get_by_name("rtc")
            for kind in ("video", "audio"):
                self.count_on(self.pipe.get_by_name(f"{kind}_sent").get_static_pad("src"), kind)
        else:
            self.pipe = Gst.Pipeline.new("play")
            self.rtc = Gst.ElementFactory.make("webrtcbin", "rtc")
            self.rtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
            self.pipe.add(self.rtc)
            recv = GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY
            for caps in (video_caps, AUDIO_CAPS):
                self.rtc.emit("add-transceiver", recv, Gst.Caps.from_string(caps))
            self.rtc.connect("pad-added", self.on_pad)
        if os.environ.get("GST_CLIENT_CERT") != "default":
            self.pem, self.fingerprint = ecdsa_certificate()
            self.pipe.connect("deep-element-added", self.on_element)
        self.rtc.connect("on-negotiation-needed", self.on_negotiation_needed)
        self.rtc.connect("notify::ice-gathering-state", self.on_gathering)
        bus = self.pipe.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self.on_error)
        self.offered = False

    def on_element(self, _bin, _parent, element):
        # Each DTLS transport's decoder (which makes the handshake) takes our certificate.
        factory = element.get_factory()
        if factory and factory.get_name() == "dtlssrtpdec":
            element.set_property("pem", self.pem)

    def count_on(self, pad, kind, caps_key=None):
        def probe(pad, info):
            with self.lock:
                counts = self.result["counts"]
                counts[kind] = counts.get(kind, 0) + 1
                if caps_key and caps_key not in self.result:
                    caps = pad.get_current_caps()
                    if caps:
                        s = caps.get_structure(0)
                        self.result[caps_key] = [s.get_value("width"), s.get_value("height")]
            return Gst.PadProbeReturn.OK

        pad.add_probe(Gst.PadProbeType.BUFFER, probe)

    def on_pad(self, _rtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        decode = Gst.ElementFactory.make("decodebin")
        decode.connect("pad-added", self.on_decoded)
        self.pipe.add(decode)
        decode.sync_state_with_parent()
        pad.link(decode.get_static_pad("sink"))

    def on_decoded(self, _decode, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        kind = "video" if name.startswith("video/") else "audio"
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        self.pipe.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        self.count_on(pad, kind, "size" if kind == "video" else None)

    def on_error(self, _bus, message):
        error, debug = message.parse_error()
        self.result.setdefault("errors", []).append(f"{error.message}: {debug}")

    def on_negotiation_needed(self, rtc):
        promise = Gst.Promise.new_with_change_func(self.on_offer, rtc, None)
        rtc.emit("create-offer", None, promise)

    def on_offer(self, promise, rtc, _data):
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply else None
        if offer is None:
            self.result.setdefault("errors", []).append(f"create-offer: {reply}")
            GLib.idle_add(self.loop.quit)
            return
        rtc.emit("set-local-description", offer, Gst.Promise.new())

    def on_gathering(self, rtc, _spec):
        # Without trickle, the offer goes once every candidate is in it.
        if rtc.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
            return
        if self.offered:
            return
        self.offered = True
        threading.Thread(target=self.signal, daemon=True).start()

    def signal(self):
        sdp = self.rtc.get_property("local-description").sdp.as_text()
        if hasattr(self, "fingerprint"):
            # webrtcbin 1.22 computed the offer's fingerprint before its decoders took our
            # certificate: the offer names the one the handshake presents.
            sdp = re.sub(r"a=fingerprint:sha-256 [0-9A-F:]+",
                         f"a=fingerprint:sha-256 {self.fingerprint}", sdp)
        self.result["offer_has_h264"] = "H264/90000" in sdp
        self.result["offer_has_h265"] = "H265/90000" in sdp
        request = urllib.request.Request(self.url, data=sdp.encode(), method="POST",
                                         headers={"Content-Type": "application/sdp"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                self.result["status"] = response.status
                self.location = urllib.parse.urljoin(self.url, response.headers["Location"])
                answer = response.read().decode()
        except urllib.error.HTTPError as e:
            self.result["status"] = e.code
            self.result["body"] = e.read().decode(errors="replace")
            GLib.idle_add(self.loop.quit)
            return
        if os.environ.get("GST_CLIENT_SDP"):
            print(sdp, answer, sep="\n", file=sys.stderr)
        _, parsed = GstSdp.SDPMessage.new_from_text(answer)
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER,
                                                               parsed)
        self.rtc.emit("set-remote-description", description, Gst.Promise.new())
        GLib.timeout_add(int(self.seconds * 1000), self.finish)

    def finish(self):
        self.result["ice"] = self.rtc.get_property("ice-connection-state").value_nick
        self.result["connection"] = self.rtc.get_property("connection-state").value_nick
        request = urllib.request.Request(self.location, method="DELETE")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                self.result["deleted"] = response.status
        except urllib.error.HTTPError as e:
            self.result["deleted"] = e.code
        self.loop.quit()
        return False

    def run(self):
        self.pipe.set_state(Gst.State.PLAYING)
        # A bound on the whole run, whatever happens: signalling and the media time, and slack.
        GLib.timeout_add_seconds(int(self.seconds) + 20, self.loop.quit)
        self.loop.run()
        self.pipe.set_state(Gst.State.NULL)
        with self.lock:
            print(json.dumps(self.result), flush=True)


if __name__ == "__main__":
    Gst.init(None)
    Client(sys.argv[1], sys.argv[2], float(sys.argv[3])).run()
