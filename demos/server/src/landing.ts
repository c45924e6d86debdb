// A small page at `/` so that a person who opens the server in a browser sees what it serves.
import { STAR_ROUTES, STARS_PATH_PREFIX } from '@lumenize/protocol'

export function landingPage(url: URL): Response {
  const example = `${url.origin}${STARS_PATH_PREFIX}acme.prod.main/${STAR_ROUTES.health}`
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lumenize</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code,pre{background:#f4f4f5;padding:.1rem .3rem;border-radius:4px}</style>
</head><body>
<h1>Lumenize is running</h1>
<p>Every star (tenant) lives at <code>${STARS_PATH_PREFIX}&lt;universe&gt;.&lt;galaxy&gt;.&lt;star&gt;/</code>.</p>
<ul>
<li><code>GET ${STAR_ROUTES.health}</code>: the star's op-log seq and open sockets, e.g. <a href="${example}">${example}</a></li>
<li><code>${STAR_ROUTES.sync}</code>: the sync WebSocket</li>
</ul>
<form id="check"><label>Star id <input id="star" name="star" value="acme.prod.main"></label> <button type="submit">Check health</button></form>
<pre id="result" aria-live="polite"></pre>
<script>
document.getElementById('check').addEventListener('submit', async (e) => {
  e.preventDefault()
  const star = document.getElementById('star').value.trim()
  const res = await fetch('${STARS_PATH_PREFIX}' + encodeURIComponent(star) + '/${STAR_ROUTES.health}')
  document.getElementById('result').textContent = res.status + ' ' + JSON.stringify(await res.json(), null, 2)
})
</script>
</body></html>`
  return new Response(html, { headers: { 'content-type': 'text/html; charset=utf-8' } })
}
