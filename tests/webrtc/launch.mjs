// Headless Chromium (Debian's /usr/bin/chromium, or $CHROMIUM) as every browser test runs it:
// a fake camera and microphone granted without asking, WebRTC over loopback, and media that
// plays without a user gesture.
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--allow-loopback-in-peer-connection',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--no-sandbox',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      // Received audio is decoded only while something plays it.
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}
