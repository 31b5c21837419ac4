// What Weir's pages share: where the API is, and the WHIP/WHEP exchange.
'use strict';

// The API's port, written in by the server that serves this file.
const WEIR_API_PORT = '__WEIR_API_PORT__';

// The API: ?api=…, else this host at the API's port.
function weirApi() {
  const given = new URLSearchParams(location.search).get('api');
  return given || `${location.protocol}//${location.hostname}:${WEIR_API_PORT}`;
}

// RFC 9725 §4.2 (WHIP) and draft-ietf-wish-whep: the offer of `pc` (its candidates gathered,
// for at most a second) POSTed to `target`, the answer applied. Returns the session's resource
// URL, to DELETE at the end (§4.3); throws with the status and body of any answer but 201.
async function weirNegotiate(pc, target) {
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 1000);
  });
  const response = await fetch(target, {
    method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp,
  });
  if (response.status !== 201) throw new Error(`${response.status} ${await response.text()}`);
  const resource = new URL(response.headers.get('Location'), target).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
  return resource;
}
