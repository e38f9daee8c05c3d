// Starts the playground. A separate file (not an inline script) so that the
// Content-Security-Policy can forbid inline scripts.
import init from './armorlab-web.js';

init({ module_or_path: new URL('armorlab-web_bg.wasm', import.meta.url) }).catch((err) => {
  const p = document.createElement('p');
  p.setAttribute('role', 'alert');
  p.textContent = 'The playground failed to start: ' + err;
  document.body.append(p);
});
