// Publishes by WHIP and/or plays by WHEP in headless Chromium (fake camera and microphone),
// then prints what the browser's getStats says happened, as one JSON object.
//
//   node chromium.mjs '{"whip": URL?, "whep": URL?, "codec": "H264"|"VP8"|"AV1", "seconds": N,
//                       "playAfter": S, "publishAfter": S, "width": W, "height": H, "fps": F}'
//
// `whip`: publish for `seconds`; `whep`: start playing `playAfter` seconds in and play until the
// end; or, with `publishAfter`, play from the start and publish that many seconds later (a
// player that joins before the stream exists). Each side reports its HTTP status, its ICE state
// and its RTP statistics.
import { launch } from './launch.mjs';
import { createServer } from 'node:http';

const options = JSON.parse(process.argv[2]);
const browser = await launch();
// getUserMedia needs a secure context: a page of its own on http://localhost, which makes the
// signalling requests cross-origin, as from a user's page (CORS preflight included).
const site = createServer((_, res) => res.end('<!doctype html><title>weir</title>'));
await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
try {
  const page = await browser.newPage();
  await page.goto(`http://localhost:${site.address().port}/`);
  page.on('console', (m) => process.stderr.write(`[page] ${m.text()}\n`));
  const result = await page.evaluate(run, options);
  process.stdout.write(JSON.stringify(result) + '\n');
} finally {
  await browser.close();
  site.close();
}

// Runs in the page.
async function run({
  whip, whep, whep2, codec, seconds, playAfter, publishAfter, width, height, fps, restartAfter,
  simulcast,
}) {
  const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
  const gathered = (pc) =>
    new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') resolve();
      });
      setTimeout(resolve, 2000);
    });
  // Offer, POST (RFC 9725 §4.2), answer: the HTTP status and the resource's Location.
  const exchange = async (pc, url) => {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp' },
      body: pc.localDescription.sdp,
    });
    const text = await response.text();
    const out = {
      status: response.status,
      location: response.headers.get('Location'),
      etag: response.headers.get('ETag'),
    };
    if (response.status !== 201) return { ...out, error: text };
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
    return { ...out, answer: text };
  };
  const stats = async (pc) => {
    const report = await pc.getStats();
    const codecs = {};
    report.forEach((s) => { if (s.type === 'codec') codecs[s.id] = s.mimeType; });
    const out = { ice: pc.iceConnectionState };
    report.forEach((s) => {
      if (s.type === 'outbound-rtp' || s.type === 'inbound-rtp') {
        out[`${s.type}-${s.kind}`] = {
          codec: codecs[s.codecId],
          packetsSent: s.packetsSent,
          packetsReceived: s.packetsReceived,
          packetsLost: s.packetsLost,
          framesEncoded: s.framesEncoded,
          framesSent: s.framesSent,
          qualityLimitationReason: s.qualityLimitationReason,
          framesReceived: s.framesReceived,
          framesDecoded: s.framesDecoded,
          keyFramesDecoded: s.keyFramesDecoded,
          frameWidth: s.frameWidth,
          frameHeight: s.frameHeight,
          nackCount: s.nackCount,
          pliCount: s.pliCount,
          totalAudioEnergy: s.totalAudioEnergy,
          totalSamplesReceived: s.totalSamplesReceived,
        };
        // A simulcast sender has one outbound-rtp per layer: each also under its rid.
        if (s.rid) out[`${s.type}-${s.kind}-${s.rid}`] = out[`${s.type}-${s.kind}`];
      }
    });
    return out;
  };

  const result = {};
  const players = [];
  let publisher = null;
  const play = async (url, key, after) => {
    await sleep(whip ? after : 0);
    const player = new RTCPeerConnection();
    players.push([key, player]);
    player.addEventListener('track', (e) => {
      const element = document.createElement(e.track.kind);
      element.srcObject = new MediaStream([e.track]);
      element.muted = false;
      document.body.appendChild(element);
      element.play().catch((err) => console.log(`play: ${err}`));
    });
    player.addTransceiver('video', { direction: 'recvonly' });
    player.addTransceiver('audio', { direction: 'recvonly' });
    result[key] = await exchange(player, url);
    // What the publisher had sent when this player joined: what it sent while the player
    // played is the end's count less this.
    if (publisher) result[key].publisherBefore = await stats(publisher);
  };
  const startPlaying = (after) =>
    Promise.all([whep && play(whep, 'play', after), whep2 && play(whep2, 'play2', after)]);
  // Players first: they join a stream that has no publisher yet.
  const early = publishAfter ? startPlaying(0) : null;
  if (whip) {
    await sleep(publishAfter || 0);
    const media = await navigator.mediaDevices.getUserMedia({
      video: { width: width || 640, height: height || 360, frameRate: fps || 25 },
      audio: true,
    });
    publisher = new RTCPeerConnection();
    // Simulcast (RFC 8853): the first rid full size, each next one half the size of the last.
    const sendEncodings = simulcast
      ? simulcast.map((rid, i) => ({ rid, scaleResolutionDownBy: 2 ** i }))
      : undefined;
    const video = publisher.addTransceiver(media.getVideoTracks()[0], {
      direction: 'sendonly',
      sendEncodings,
    });
    publisher.addTransceiver(media.getAudioTracks()[0], { direction: 'sendonly' });
    // On a loaded test machine, drop frames rather than pixels: the tests check sizes.
    const parameters = video.sender.getParameters();
    parameters.degradationPreference = 'maintain-resolution';
    await video.sender.setParameters(parameters).catch((e) => console.log(`parameters: ${e}`));
    const all = RTCRtpSender.getCapabilities('video').codecs;
    const wanted = all.filter((c) => c.mimeType.toLowerCase() === `video/${codec.toLowerCase()}`);
    video.setCodecPreferences([...wanted, ...all.filter((c) => c.mimeType === 'video/rtx')]);
    result.publish = await exchange(publisher, whip);
  }
  // RFC 9725 §4.4.2: an ICE restart by PATCH, the new credentials spliced into the answer.
  const restarting = (async () => {
    if (!restartAfter || !publisher || result.publish.status !== 201) return;
    await sleep(restartAfter);
    publisher.restartIce();
    const offer = await publisher.createOffer({ iceRestart: true });
    await publisher.setLocalDescription(offer);
    const line = (sdp, name) => sdp.split('\r\n').find((l) => l.startsWith(`a=${name}:`));
    const frag = `${line(offer.sdp, 'ice-ufrag')}\r\n${line(offer.sdp, 'ice-pwd')}\r\n`;
    const response = await fetch(new URL(result.publish.location, whip), {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' },
      body: frag,
    });
    const body = await response.text();
    result.publish.restart = { status: response.status, etag: response.headers.get('ETag') };
    if (response.status !== 200) return;
    let answer = result.publish.answer
      .replace(/a=ice-ufrag:.*/g, line(body, 'ice-ufrag'))
      .replace(/a=ice-pwd:.*/g, line(body, 'ice-pwd'));
    await publisher.setRemoteDescription({ type: 'answer', sdp: answer });
    const before = (await stats(publisher))['outbound-rtp-video'];
    result.publish.restart.framesBefore = before && before.framesEncoded;
  })();
  const playing = early || startPlaying(playAfter);
  await sleep(seconds);
  await playing;
  await restarting;
  if (publisher) result.publish.stats = await stats(publisher);
  for (const [key, player] of players) result[key].stats = await stats(player);
  // End the sessions as RFC 9725 §4.3 says: DELETE on the resource.
  for (const side of [result.publish, result.play, result.play2]) {
    if (side && side.location) {
      const url = new URL(side.location, whip || whep);
      side.deleted = (await fetch(url, { method: 'DELETE' })).status;
    }
  }
  return result;
}
