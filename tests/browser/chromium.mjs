// How the browser tests launch Debian's Chromium: no downloaded browser, no background
// network traffic (the closed network would make it hang or log noise).
export const CHROMIUM = process.env.ARMORLAB_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const BASE_URL = (process.env.ARMORLAB_URL || 'http://127.0.0.1:8080').replace(/\/$/, '') + '/';
