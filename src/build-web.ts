// `npm run build:web`: bundles the browser pages ahead of time. The server builds them too (at
// start, in the background), so this is only needed to check a build or to warm a deployment.
import { buildWebPage, type WebPage } from './server/web-assets.js';

const pages: readonly WebPage[] = ['explorer', 'board'];
for (const page of pages) {
  const started = Date.now();
  const folder = await buildWebPage(page);
  process.stdout.write(`${page}: ${folder} (${Date.now() - started} ms)\n`);
}
